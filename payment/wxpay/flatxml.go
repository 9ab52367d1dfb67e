package wxpay

import "bytes"

// parseFlat is ParseXML's fast path for the shape every WeChat message has:
// <xml>, then fields <name>value</name> whose names are [A-Za-z_][A-Za-z0-9_]*
// and whose values are plain text and/or CDATA sections, then </xml>, with
// only spaces, tabs and line feeds between elements. It accepts a strict
// subset of what the general tokenizer path accepts and, on that subset,
// yields the same fields (FuzzParseXML checks this); on anything else —
// a declaration, attributes, entities, comments, carriage returns, control
// characters, duplicate fields — it reports ok=false and the general path
// decides.
func parseFlat(data []byte) (p Params, ok bool) {
	// U+FFFE and U+FFFF are valid UTF-8 but not XML characters.
	if bytes.Contains(data, []byte("\xef\xbf\xbe")) || bytes.Contains(data, []byte("\xef\xbf\xbf")) {
		return nil, false
	}
	rest := skipSpace(data)
	if !bytes.HasPrefix(rest, []byte("<xml>")) {
		return nil, false
	}
	rest = rest[len("<xml>"):]
	p = make(Params, 24)
	for {
		rest = skipSpace(rest)
		if bytes.HasPrefix(rest, []byte("</xml>")) {
			if len(skipSpace(rest[len("</xml>"):])) != 0 {
				return nil, false
			}
			return p, true
		}
		if len(rest) < 2 || rest[0] != '<' {
			return nil, false
		}
		n := nameLen(rest[1:])
		if n == 0 || len(rest) < n+2 || rest[n+1] != '>' {
			return nil, false
		}
		name := rest[1 : n+1]
		rest = rest[n+2:]
		val, after, ok := flatValue(rest)
		if !ok {
			return nil, false
		}
		// The closing tag must name the same field.
		if len(after) < n+3 || after[n+2] != '>' || !bytes.Equal(after[2:n+2], name) {
			return nil, false
		}
		rest = after[n+3:]
		key := string(name)
		if _, dup := p[key]; dup {
			return nil, false
		}
		p[key] = val
	}
}

// flatValue reads a field value up to its closing "</". It returns the
// value and the input starting at "</".
func flatValue(b []byte) (string, []byte, bool) {
	var buf []byte
	for {
		switch {
		case bytes.HasPrefix(b, []byte("</")):
			return string(buf), b, true
		case bytes.HasPrefix(b, []byte("<![CDATA[")):
			b = b[len("<![CDATA["):]
			end := bytes.Index(b, []byte("]]>"))
			if end < 0 || !plainChars(b[:end]) {
				return "", nil, false
			}
			buf = append(buf, b[:end]...)
			b = b[end+3:]
		default:
			end := bytes.IndexByte(b, '<')
			if end <= 0 { // no end tag, or a nested element / comment / PI
				return "", nil, false
			}
			text := b[:end]
			if !plainChars(text) || bytes.IndexByte(text, '&') >= 0 || bytes.Contains(text, []byte("]]>")) {
				return "", nil, false
			}
			buf = append(buf, text...)
			b = b[end:]
		}
	}
}

// plainChars reports whether b has no control character other than tab and
// line feed (a carriage return would be normalised by XML parsers).
func plainChars(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' {
			return false
		}
	}
	return true
}

// nameLen returns the length of the [A-Za-z_][A-Za-z0-9_]* name at the
// start of b, or 0.
func nameLen(b []byte) int {
	for i, c := range b {
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if letter || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return i
	}
	return len(b)
}

// skipSpace drops leading spaces, tabs and line feeds.
func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

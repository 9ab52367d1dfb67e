package wxpay

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// MaxBodySize is the largest XML body the decoder accepts by default. Real
// WeChat messages are a few kilobytes; anything near this size is hostile.
const MaxBodySize = 64 << 10

// ErrDoctype is returned when a document carries a DOCTYPE or ENTITY
// declaration. WeChat never sends one; it is the shape of an XXE attack
// (WeChat's 2018 advisory), so it is refused rather than ignored.
var ErrDoctype = errors.New("wxpay: XML with DOCTYPE/ENTITY refused")

// ErrTooLarge is returned when a body exceeds the size limit.
var ErrTooLarge = errors.New("wxpay: XML body too large")

// ErrMalformed is returned for a body that is not a flat <xml> document.
var ErrMalformed = errors.New("wxpay: malformed XML")

// DecodeXML reads one flat <xml><name>value</name>…</xml> document from r,
// reading at most limit bytes (MaxBodySize when limit <= 0). Values may be
// plain text or CDATA. Nested elements, a non-<xml> root, duplicate fields,
// invalid UTF-8, and any DOCTYPE or ENTITY are rejected.
func DecodeXML(r io.Reader, limit int64) (Params, error) {
	if limit <= 0 {
		limit = MaxBodySize
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("wxpay: read XML: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, ErrTooLarge
	}
	return ParseXML(data)
}

// ParseXML parses one flat <xml> document held in memory. See DecodeXML.
func ParseXML(data []byte) (Params, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrMalformed)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrMalformed)
	}
	// A cheap pre-scan catches declarations even where the tokenizer would
	// fail first for another reason, so the caller always learns the cause.
	if hasDeclaration(data) {
		return nil, ErrDoctype
	}
	if p, ok := parseFlat(data); ok {
		return p, nil
	}
	return parseTokens(data, "xml")
}

// parseTokens is the general path of ParseXML, on encoding/xml's tokenizer,
// for a flat document whose root element is named root.
func parseTokens(data []byte, root string) (Params, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.Entity = nil
	p := make(Params, 24)
	depth := 0
	var field string
	var text strings.Builder
	rootSeen := false
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, ErrDoctype
		case xml.StartElement:
			if t.Name.Space != "" {
				return nil, fmt.Errorf("%w: prefixed element name", ErrMalformed)
			}
			depth++
			switch depth {
			case 1:
				if rootSeen || t.Name.Local != root {
					return nil, fmt.Errorf("%w: root element must be <%s>", ErrMalformed, root)
				}
				rootSeen = true
			case 2:
				field = t.Name.Local
				text.Reset()
			default:
				return nil, fmt.Errorf("%w: nested element <%s>", ErrMalformed, t.Name.Local)
			}
		case xml.EndElement:
			// RawToken does not pair tags; a flat document is easy to check.
			if (depth == 2 && t.Name.Local != field) || (depth == 1 && t.Name.Local != root) || t.Name.Space != "" {
				return nil, fmt.Errorf("%w: end tag </%s> does not close the open element", ErrMalformed, t.Name.Local)
			}
			if depth == 2 {
				if _, dup := p[field]; dup {
					return nil, fmt.Errorf("%w: duplicate field %s", ErrMalformed, field)
				}
				p[field] = text.String()
			}
			depth--
		case xml.CharData:
			switch depth {
			case 2:
				text.Write(t)
			case 0, 1:
				if len(bytes.TrimSpace(t)) != 0 {
					return nil, fmt.Errorf("%w: text outside a field", ErrMalformed)
				}
			}
		case xml.ProcInst, xml.Comment:
			// The <?xml?> declaration and comments carry no data.
		}
	}
	if !rootSeen || depth != 0 {
		return nil, fmt.Errorf("%w: no complete <xml> element", ErrMalformed)
	}
	return p, nil
}

// hasDeclaration reports whether data contains "<!DOCTYPE" or "<!ENTITY",
// in any letter case.
func hasDeclaration(data []byte) bool {
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("<!"))
		if j < 0 {
			return false
		}
		rest := data[i+j+2:]
		if hasPrefixFold(rest, "DOCTYPE") || hasPrefixFold(rest, "ENTITY") {
			return true
		}
		i += j + 2
	}
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}

// EncodeXML renders p as an <xml> document with fields in name order. Every
// value is wrapped in CDATA except plain integers, the way WeChat writes
// them; "]]>" inside a value is split across two CDATA sections and a
// carriage return is written as &#13; (XML parsers turn a literal one into
// a line feed, which would change the signed value). Characters XML 1.0
// cannot carry (most C0 controls) cannot be encoded; ValidValue tells them
// apart, and the Client refuses such values before sending.
func (p Params) EncodeXML() []byte {
	keys := make([]string, 0, len(p))
	n := 16
	for k, v := range p {
		keys = append(keys, k)
		n += 2*len(k) + len(v) + 17
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.Grow(n)
	b.WriteString("<xml>")
	for _, k := range keys {
		v := p[k]
		b.WriteByte('<')
		b.WriteString(k)
		b.WriteByte('>')
		if isDigits(v) {
			b.WriteString(v)
		} else {
			writeCDATA(&b, v)
		}
		b.WriteString("</")
		b.WriteString(k)
		b.WriteByte('>')
	}
	b.WriteString("</xml>")
	return b.Bytes()
}

// writeCDATA writes v as CDATA sections, splitting around "]]>" and
// writing '\r' as a character reference between sections.
func writeCDATA(b *bytes.Buffer, v string) {
	if !strings.ContainsAny(v, "]\r") {
		b.WriteString("<![CDATA[")
		b.WriteString(v)
		b.WriteString("]]>")
		return
	}
	b.WriteString("<![CDATA[")
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '\r':
			b.WriteString("]]>&#13;<![CDATA[")
		case v[i] == ']' && strings.HasPrefix(v[i:], "]]>"):
			b.WriteString("]]]]><![CDATA[>")
			i += 2
		default:
			b.WriteByte(v[i])
		}
	}
	b.WriteString("]]>")
}

// ValidValue reports whether s can travel as an XML 1.0 text value: valid
// UTF-8 without the control characters XML forbids (tab, line feed and
// carriage return are allowed).
func ValidValue(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

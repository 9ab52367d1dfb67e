package wxpay

import (
	"context"
	"errors"
	"maps"
	"testing"
)

func TestEncodeXMLRoundTrips(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{"a carriage return survives as a character reference", "line1\r\nline2\r"},
		{"a CDATA terminator inside a value survives", "a]]>b]]>"},
		{"markup characters survive", `<b>&amp;"'</b>`},
		{"Chinese text survives", "扫码小店-静安店-拿铁"},
		{"an empty value survives", ""},
		{"leading zeros are kept as text", "007"},
		{"a lone bracket survives", "]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Params{"attach": tt.value, "total_fee": "1"}
			q, err := ParseXML(p.EncodeXML())
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(p, q) {
				t.Errorf("round trip: %q -> %q", p, q)
			}
		})
	}
}

func TestFastAndGeneralParsersAgree(t *testing.T) {
	docs := []struct {
		name     string
		doc      string
		wantFast bool
	}{
		{"a WeChat-style body takes the fast path", "<xml>\n  <a><![CDATA[x]]></a>\n  <b>12</b>\n</xml>\n", true},
		{"mixed text and CDATA take the fast path", "<xml><a>x<![CDATA[<y>]]>z</a></xml>", true},
		{"CRLF line ends take the general path", "<xml>\r\n<a>x</a>\r\n</xml>", false},
		{"an XML declaration takes the general path", `<?xml version="1.0" encoding="UTF-8"?><xml><a>x</a></xml>`, false},
		{"an entity reference takes the general path", "<xml><a>x&amp;y</a></xml>", false},
		{"attributes take the general path", `<xml><a k="v">x</a></xml>`, false},
		{"a comment takes the general path", "<xml><!-- c --><a>x</a></xml>", false},
	}
	for _, tt := range docs {
		t.Run(tt.name, func(t *testing.T) {
			fast, ok := parseFlat([]byte(tt.doc))
			if ok != tt.wantFast {
				t.Fatalf("fast path ok = %v, want %v", ok, tt.wantFast)
			}
			slow, err := parseTokens([]byte(tt.doc), "xml")
			if err != nil {
				t.Fatalf("general path: %v", err)
			}
			if ok && !maps.Equal(fast, slow) {
				t.Errorf("fast %q, general %q", fast, slow)
			}
			got, err := ParseXML([]byte(tt.doc))
			if err != nil || !maps.Equal(got, slow) {
				t.Errorf("ParseXML = %q, %v; want %q", got, err, slow)
			}
		})
	}
	refused := []struct {
		name string
		doc  string
	}{
		{"a mismatched end tag is refused", "<xml><a>x</b></xml>"},
		{"a mismatched root end tag is refused", "<xml><a>x</a></root>"},
		{"a prefixed field name is refused", "<xml><p:a>x</p:a></xml>"},
		{"a duplicate field is refused", "<xml><a>1</a><a>1</a></xml>"},
		{"text after the root is refused", "<xml><a>1</a></xml>trailing"},
		{"a missing end tag is refused", "<xml><a>1</a>"},
		{"a control character is refused", "<xml><a>\x01</a></xml>"},
		{"U+FFFF is refused", "<xml><a>\uffff</a></xml>"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseXML([]byte(tt.doc)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("error = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestClientRefusesValuesXMLCannotCarry(t *testing.T) {
	c, f := newFake(t, SignMD5, unifiedOK)
	r := goodOrder()
	r.Attach = "bell\x07"
	if _, err := c.UnifiedOrder(context.Background(), r); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("error = %v, want ErrInvalidInput", err)
	}
	if f.count() != 0 {
		t.Error("a request was sent")
	}
}

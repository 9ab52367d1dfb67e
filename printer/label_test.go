package printer

import (
	"context"
	"errors"
	"testing"
	"time"

	"saoma/app"
	"saoma/payment/wxpay"
)

// fakeShortener is WeChat's short-URL API in a box.
type fakeShortener struct {
	short func(long string) (string, error)
	got   []string
}

func (f *fakeShortener) ShortURL(_ context.Context, long string) (string, error) {
	f.got = append(f.got, long)
	return f.short(long)
}

var _ Shortener = (*fakeShortener)(nil)

const (
	testAppID = "wx2421b1c4370ec43b"
	testMchID = "10000100"
	testKey   = "192006250b4c09247ec02edce69f6a2d"
)

func TestLabelPaperCarriesTheShortLinkOfTheSignedURL(t *testing.T) {
	s := &fakeShortener{short: func(string) (string, error) { return "weixin://wxpay/s/An4baqw", nil }}
	prod := app.Product{ID: "tea", Name: "珍珠奶茶", Price: 1250, QRID: "P0001"}
	now := time.Unix(1415949957, 0)
	p, err := LabelPaper(context.Background(), s, testAppID, testMchID, testKey, prod, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != app.PaperLabel || p.QR != "weixin://wxpay/s/An4baqw" || p.Product != prod {
		t.Errorf("paper %+v", p)
	}
	if len(s.got) != 1 {
		t.Fatalf("shortener called %d times", len(s.got))
	}
	params, err := wxpay.ParseBizPayURL(s.got[0], testKey)
	if err != nil {
		t.Fatalf("the long link is not a valid signed bizpayurl: %v", err)
	}
	if params["product_id"] != "P0001" || params["appid"] != testAppID || params["mch_id"] != testMchID || params["time_stamp"] != "1415949957" {
		t.Errorf("long link params %v", params)
	}
	// The label's preview carries the short link.
	doc, err := Layout(p, 32)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mustRenderer(t).Render(doc, Profile{Paper: 58, Dots: 384, Cols: 32})
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeQR(t, img); got != p.QR {
		t.Errorf("label QR %q", got)
	}
}

func TestLabelPaperErrors(t *testing.T) {
	good := app.Product{ID: "tea", Name: "奶茶", Price: 1250, QRID: "P0001"}
	errDown := errors.New("shorturl: SYSTEMERROR")
	ok := func(string) (string, error) { return "weixin://wxpay/s/abc", nil }
	tests := []struct {
		name  string
		short func(string) (string, error)
		key   string
		prod  app.Product
		want  error
	}{
		{"no QR id", ok, testKey, app.Product{ID: "x", Name: "x", Price: 1}, ErrBadPaper},
		{"QR id with spaces", ok, testKey, app.Product{ID: "x", Name: "x", Price: 1, QRID: "a b"}, ErrBadPaper},
		{"QR id too long", ok, testKey, app.Product{ID: "x", Name: "x", Price: 1, QRID: "123456789012345678901234567890123"}, ErrBadPaper},
		{"no API key", ok, "", good, ErrBadConfig},
		{"short-URL API down", func(string) (string, error) { return "", errDown }, testKey, good, errDown},
		{"answer is not a short link", func(string) (string, error) { return "https://evil.example/x", nil }, testKey, good, ErrBadShortLink},
		{"answer is an empty short link", func(string) (string, error) { return ShortLinkPrefix, nil }, testKey, good, ErrBadShortLink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LabelPaper(context.Background(), &fakeShortener{short: tt.short}, testAppID, testMchID, tt.key, tt.prod, time.Unix(1, 0))
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := LabelPaper(context.Background(), nil, testAppID, testMchID, testKey, good, time.Unix(1, 0)); !errors.Is(err, ErrBadConfig) {
		t.Errorf("nil shortener: %v", err)
	}
}

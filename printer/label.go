package printer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"saoma/app"
	"saoma/payment/wxpay"
)

// Shortener turns a long mode-1 link into a weixin://wxpay/s/… short link
// (WeChat's /tools/shorturl; *wxpay.Client has this method).
type Shortener interface {
	ShortURL(ctx context.Context, longURL string) (string, error)
}

// ShortLinkPrefix starts every short link WeChat's short-URL API returns.
const ShortLinkPrefix = "weixin://wxpay/s/"

// ErrBadShortLink is returned by LabelPaper when the short-URL service
// answers with something that is not a weixin://wxpay/s/ link.
var ErrBadShortLink = errors.New("not a WeChat short link")

// LabelPaper builds the product label for Native mode 1: it signs the
// product's bizpayurl (wxpay.BizPayURL, with p.QRID as product_id and now
// as time_stamp), converts it to a short link through s — short links give
// a smaller QR that scans on the first try from paper — and returns a
// PaperLabel carrying the short link as its QR. The caller sets Shop.
func LabelPaper(ctx context.Context, s Shortener, appID, mchID, key string, p app.Product, now time.Time) (app.Paper, error) {
	if s == nil {
		return app.Paper{}, fmt.Errorf("label %s: %w: no short-URL service", p.ID, ErrBadConfig)
	}
	if appID == "" || mchID == "" || key == "" {
		return app.Paper{}, fmt.Errorf("label %s: %w: appid, mch_id and API key are required", p.ID, ErrBadConfig)
	}
	if err := validQRID(p.QRID); err != nil {
		return app.Paper{}, fmt.Errorf("label %s: %w: %w", p.ID, ErrBadPaper, err)
	}
	long := wxpay.BizPayURL(appID, mchID, key, p.QRID, now)
	short, err := s.ShortURL(ctx, long)
	if err != nil {
		return app.Paper{}, fmt.Errorf("label %s: shorten link: %w", p.ID, err)
	}
	if !strings.HasPrefix(short, ShortLinkPrefix) || len(short) == len(ShortLinkPrefix) || len(short) > 64 {
		return app.Paper{}, fmt.Errorf("label %s: %w: %.64q", p.ID, ErrBadShortLink, short)
	}
	return app.Paper{Kind: app.PaperLabel, Product: p, QR: short}, nil
}

// validQRID checks a mode-1 product_id: 1-32 characters that need no URL
// escaping, so the signed link stays short and its signature unambiguous.
func validQRID(id string) error {
	if id == "" || len(id) > 32 {
		return fmt.Errorf("product QR id %q must be 1-32 characters", id)
	}
	for _, c := range []byte(id) {
		ok := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.'
		if !ok {
			return fmt.Errorf("product QR id %q: only letters, digits, '-', '_' and '.' are allowed", id)
		}
	}
	return nil
}

package wxpay

import (
	"context"
	"strings"
)

const apiShortURL = "/tools/shorturl"

// ShortURL converts a long weixin:// link (a mode-1 bizpayurl) into a short
// weixin://wxpay/s/… link that scans better on paper.
//
// The document says "签名用原串，传输需URLencode" (sign the raw string,
// transmit it URL-encoded), but the official PHP and Java SDKs, WxJava and
// wechatpy all sign AND send the raw string (inside CDATA), and that is what
// WeChat's servers have accepted for years; we do the same (WXPAY_V2.md
// §4.4, §10 item 2). Sign and send therefore carry the same value, so a
// server verifying the signature over the field it received agrees.
func (c *Client) ShortURL(ctx context.Context, longURL string) (string, error) {
	const api = apiShortURL
	if longURL == "" || len(longURL) > 512 {
		return "", invalid(api, "long_url must be 1-512 bytes, got %d", len(longURL))
	}
	if !strings.HasPrefix(longURL, "weixin://") {
		return "", invalid(api, "long_url must be a weixin:// link")
	}
	resp, err := c.call(ctx, c.hc, api, Params{"long_url": longURL})
	if err != nil {
		return "", err
	}
	if err := require(api, resp, "short_url"); err != nil {
		return "", err
	}
	return resp["short_url"], nil
}

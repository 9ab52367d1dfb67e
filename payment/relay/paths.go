package relay

import (
	"net/http"
	"path"
	"strings"
)

// Paths WeChat calls, followed by the kiosk id.
const (
	notifyPath   = "/wxpay/notify/"
	callbackPath = "/wxpay/native-callback/"
)

// NotifyURL returns the notify_url a kiosk sends with its orders when its
// relay is base (e.g. "https://relay.example.com", with or without a
// trailing slash): base + "/wxpay/notify/" + kioskID, never with "//".
func NotifyURL(base, kioskID string) string {
	return strings.TrimRight(base, "/") + notifyPath + kioskID
}

// CallbackURL returns the Native mode-1 callback URL of kiosk kioskID on
// the relay at base, to enter in WeChat's merchant platform.
func CallbackURL(base, kioskID string) string {
	return strings.TrimRight(base, "/") + callbackPath + kioskID
}

// cleanPaths serves every request on its cleaned path. http.ServeMux
// answers a path with "//", "." or ".." segments by redirecting to the
// cleaned one, and WeChat does not follow redirects: a notify_url written
// as "https://relay//wxpay/notify/k1" would fail every notification. So the
// path is cleaned here and the request served directly; the mux never sees
// an unclean path and never redirects.
func cleanPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := cleanPath(r.URL.Path)
		if p == r.URL.Path {
			next.ServeHTTP(w, r)
			return
		}
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path = p
		if u.RawPath != "" {
			u.RawPath = cleanPath(u.RawPath)
		}
		r2.URL = &u
		next.ServeHTTP(w, r2)
	})
}

// cleanPath is path.Clean for URL paths: rooted, and a trailing slash is
// kept (as http.ServeMux does), so "/x/" and "/x" stay distinct.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

package wxpay

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

const (
	testAppID = "wx2421b1c4370ec43b"
	testMchID = "10000100"
	testKey   = "192006250b4c09247ec02edce69f6a2d"
)

// Markers an answer function can put in "sign" to make the fake server
// misbehave.
const (
	signOmit   = "-omit-"   // send the reply without a sign field
	signWrongK = "-wrongk-" // sign with another key
)

// fakeWX is a small WeChat Pay v2 server for tests. For every request it
// checks the method, content type, common fields and the signature (with
// the sign type the client is expected to use), records the request, and
// answers with the fields returned by answer, completed like WeChat does:
// return_code/result_code SUCCESS unless set, appid, mch_id, nonce_str and
// a signature with the same sign type. A reply with return_code FAIL goes
// out as given, unsigned.
type fakeWX struct {
	t        *testing.T
	signType SignType
	answer   func(path string, req Params) Params

	mu       sync.Mutex
	requests []recorded
}

type recorded struct {
	path string
	p    Params
}

func (f *fakeWX) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		f.t.Errorf("%s: method %s, want POST", r.URL.Path, r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/xml; charset=utf-8" {
		f.t.Errorf("%s: content type %q", r.URL.Path, ct)
	}
	p, err := DecodeXML(r.Body, MaxBodySize)
	if err != nil {
		f.t.Errorf("%s: request does not decode: %v", r.URL.Path, err)
		_, _ = w.Write(Params{"return_code": "FAIL", "return_msg": "XML_FORMAT_ERROR"}.EncodeXML())
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, recorded{r.URL.Path, p})
	f.mu.Unlock()
	if p["appid"] != testAppID || p["mch_id"] != testMchID || len(p["nonce_str"]) != 32 {
		f.t.Errorf("%s: common fields wrong: appid=%q mch_id=%q nonce_str=%q", r.URL.Path, p["appid"], p["mch_id"], p["nonce_str"])
	}
	wantST := ""
	if f.signType == SignHMACSHA256 {
		wantST = string(SignHMACSHA256)
	}
	if p["sign_type"] != wantST {
		f.t.Errorf("%s: sign_type = %q, want %q", r.URL.Path, p["sign_type"], wantST)
	}
	if err := p.Verify(testKey, f.signType); err != nil {
		f.t.Errorf("%s: request signature: %v", r.URL.Path, err)
		_, _ = w.Write(Params{"return_code": "FAIL", "return_msg": "签名错误"}.EncodeXML())
		return
	}
	var a Params
	if f.answer != nil {
		a = f.answer(r.URL.Path, p)
	}
	_, _ = w.Write(f.reply(a))
}

// reply completes and signs an answer the way WeChat does.
func (f *fakeWX) reply(a Params) []byte {
	a = a.Clone()
	if a["return_code"] == "FAIL" {
		return a.EncodeXML()
	}
	if _, ok := a["return_code"]; !ok {
		a["return_code"] = "SUCCESS"
		a["return_msg"] = "OK"
	}
	if _, ok := a["result_code"]; !ok {
		a["result_code"] = "SUCCESS"
	}
	for k, v := range map[string]string{"appid": testAppID, "mch_id": testMchID, "nonce_str": NonceStr()} {
		if _, ok := a[k]; !ok {
			a[k] = v
		}
	}
	if f.signType == SignHMACSHA256 {
		a["sign_type"] = string(SignHMACSHA256)
	}
	switch a["sign"] {
	case "":
		a["sign"] = a.Sign(testKey, f.signType)
	case signOmit:
		delete(a, "sign")
	case signWrongK:
		a["sign"] = a.Sign("00000000000000000000000000000000", f.signType)
	}
	return a.EncodeXML()
}

// last returns the most recent request, failing the test if there is none.
func (f *fakeWX) last() recorded {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		f.t.Fatal("the server received no request")
	}
	return f.requests[len(f.requests)-1]
}

// count returns how many requests the server received.
func (f *fakeWX) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// newFake starts a loopback fake WeChat server and a client pointed at it.
func newFake(t *testing.T, st SignType, answer func(path string, req Params) Params) (*Client, *fakeWX) {
	t.Helper()
	f := &fakeWX{t: t, signType: st, answer: answer}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, SignType: st, BaseURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c, f
}

// newRawServer starts a loopback server answering with h and a client
// pointed at it.
func newRawServer(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient(Config{AppID: testAppID, MchID: testMchID, APIKey: testKey, BaseURL: srv.URL, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// drain reads and discards a request body.
func drain(r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }

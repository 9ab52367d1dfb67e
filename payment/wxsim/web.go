package wxsim

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"saoma/payment/wxpay"
)

// handleScan is POST /sim/scan: form fields url, openid, outcome. It answers
// JSON, or — when the form carries return=/ (the customer page) — redirects
// back to the page with the outcome in the query.
func (s *Sim) handleScan(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSONError(w, http.StatusMethodNotAllowed, "POST only")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		writeJSONError(w, http.StatusBadRequest, "bad form: "+err.Error())
		return
	}
	res, err := s.Scan(r.Context(), ScanRequest{URL: r.PostForm.Get("url"), OpenID: r.PostForm.Get("openid"), Outcome: r.PostForm.Get("outcome")})
	if r.PostForm.Get("return") == "/" {
		q := url.Values{}
		if err != nil {
			_, msg := scanStatus(err)
			q.Set("err", msg)
		} else {
			q.Set("ok", res.OutTradeNo+" → "+res.TradeState)
		}
		http.Redirect(w, r, "/?"+q.Encode(), http.StatusSeeOther)
		return
	}
	if err != nil {
		status, msg := scanStatus(err)
		writeJSONError(w, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// handlePayCode is POST /sim/paycode: form fields openid and outcome; it
// mints a 付款码 (MintPayCode) and answers JSON
// {"auth_code","openid","outcome","valid_ms"}, or — when the form carries
// return=/ (the customer page) — redirects to the page showing the code.
func (s *Sim) handlePayCode(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSONError(w, http.StatusMethodNotAllowed, "POST only")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		writeJSONError(w, http.StatusBadRequest, "bad form: "+err.Error())
		return
	}
	pc, err := s.MintPayCode(r.PostForm.Get("openid"), r.PostForm.Get("outcome"))
	if r.PostForm.Get("return") == "/" {
		q := url.Values{}
		if err != nil {
			_, msg := scanStatus(err)
			q.Set("err", msg)
		} else {
			q.Set("paycode", pc.AuthCode)
		}
		http.Redirect(w, r, "/?"+q.Encode(), http.StatusSeeOther)
		return
	}
	if err != nil {
		status, msg := scanStatus(err)
		writeJSONError(w, status, msg)
		return
	}
	writeJSON(w, http.StatusOK, pc)
}

// handleOrders is GET /sim/orders: every order as JSON, oldest first.
func (s *Sim) handleOrders(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeJSONError(w, http.StatusMethodNotAllowed, "GET only")
		return
	}
	writeJSON(w, http.StatusOK, s.Orders())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

type pageOrder struct {
	OutTradeNo, Body, Amount, CodeURL, State string
}

type pageData struct {
	Open, Recent []pageOrder
	OK, Err      string
	MchID        string
	PayCode      *pagePayCode
	Outcomes     []string // 付款码 outcomes offered on the page
}

// pagePayCode is a live 付款码 shown on the customer page.
type pagePayCode struct {
	AuthCode, Spaced, Outcome, Until string
	Barcode                          template.HTML
	QR                               template.URL
}

// handlePage is GET /: the customer's phone. It lists open QR orders with a
// Pay button each and accepts a pasted QR link.
func (s *Sim) handlePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	data := pageData{OK: r.URL.Query().Get("ok"), Err: r.URL.Query().Get("err"), MchID: s.cfg.MchID,
		Outcomes: []string{OutcomeSuccess, OutcomeUserPaying, OutcomePasswordFail, OutcomeNotEnough,
			OutcomeAuthCodeInvalid, OutcomeSystemError, OutcomeSystemErrorPaid, OutcomeSystemErrorNoOrder}}
	now := s.clock.Now()
	if code := r.URL.Query().Get("paycode"); code != "" {
		s.mu.Lock()
		pc := s.payCodeLocked(code)
		var outcome string
		var until time.Time
		if pc != nil {
			outcome, until = pc.outcome, pc.minted.Add(s.scaled(payCodeLife))
		}
		s.mu.Unlock()
		if pc == nil {
			data.Err = "付款码已使用或已过期 · the payment code was used or has expired: make a new one"
		} else {
			data.PayCode = &pagePayCode{
				AuthCode: code, Spaced: code[:4] + " " + code[4:8] + " " + code[8:12] + " " + code[12:],
				Outcome: outcome, Until: until.In(wxpay.Shanghai()).Format("15:04:05"),
				Barcode: barcodeSVG(code), QR: qrDataURI(code),
			}
		}
	}
	orders := s.Orders()
	for i := len(orders) - 1; i >= 0; i-- {
		o := orders[i]
		po := pageOrder{OutTradeNo: o.OutTradeNo, Body: o.Body, Amount: "¥" + yuan(o.TotalFee), CodeURL: o.CodeURL, State: o.State}
		open := o.TradeType != TradeTypeMicropay && (o.State == StateNotPay || o.State == StatePayError || o.State == StateUserPaying) &&
			now.Sub(o.PrepayAt) < s.scaled(prepayLife) && (o.TimeExpire.IsZero() || now.Before(o.TimeExpire))
		switch {
		case open:
			data.Open = append(data.Open, po)
		case len(data.Recent) < 10:
			data.Recent = append(data.Recent, po)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.page.Execute(w, data); err != nil {
		s.log.Error("wxsim: render page", "err", err)
	}
}

func pageTemplate() *template.Template {
	return template.Must(template.New("page").Parse(pageHTML))
}

const pageHTML = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="8">
<title>模拟微信支付 · WeChat Pay simulator</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#ededed;color:#111}
header{background:#07c160;color:#fff;padding:16px 20px}
header h1{margin:0;font-size:1.3em}header p{margin:4px 0 0;opacity:.9;font-size:.9em}
main{max-width:560px;margin:0 auto;padding:12px}
.card{background:#fff;border-radius:12px;padding:14px 16px;margin:10px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.amount{font-size:1.8em;font-weight:600}.muted{color:#888;font-size:.85em;word-break:break-all}
button{font-size:1.1em;border:0;border-radius:8px;padding:14px 18px;margin:8px 8px 0 0;cursor:pointer}
.pay{background:#07c160;color:#fff;min-width:45%}.alt{background:#f2f2f2;color:#333}
input[type=text]{width:100%;box-sizing:border-box;font-size:1em;padding:12px;border:1px solid #ccc;border-radius:8px}
.ok{background:#e7f8ee;color:#06753b}.err{background:#fdecea;color:#b3261e}
table{width:100%;border-collapse:collapse;font-size:.9em}td{padding:6px 4px;border-top:1px solid #eee}
form{margin:0}select{font-size:1em;padding:10px;border-radius:8px}
.barcode svg{max-width:100%;height:auto}.digits{font-family:ui-monospace,monospace;font-size:1.5em;letter-spacing:.08em;margin:6px 0}
</style></head><body>
<header><h1>模拟微信支付 · WeChat Pay simulator</h1>
<p>顾客手机 · Customer phone — 商户号 Merchant {{.MchID}} · 不涉及真实资金 No real money</p></header>
<main>
{{if .OK}}<div class="card ok">✓ {{.OK}}</div>{{end}}
{{if .Err}}<div class="card err">✗ {{.Err}}</div>{{end}}
<h2>待支付二维码 · Open QR orders</h2>
{{range .Open}}<div class="card">
<div class="amount">{{.Amount}}</div>
<div>{{.Body}}</div>
<div class="muted">{{.OutTradeNo}} · {{.State}}</div>
<form method="post" action="/sim/scan"><input type="hidden" name="url" value="{{.CodeURL}}"><input type="hidden" name="return" value="/">
<button class="pay" name="outcome" value="SUCCESS">支付 Pay {{.Amount}}</button><button class="alt" name="outcome" value="NOTENOUGH">余额不足 Not enough</button><button class="alt" name="outcome" value="CANCEL">取消 Cancel</button>
</form></div>
{{else}}<div class="card muted">暂无待支付订单。收银台生成二维码后会显示在这里。<br>No open orders yet; they appear here when the kiosk shows a QR code.</div>{{end}}
<h2>付款码 · Payment code (kiosk scans the phone)</h2>
{{with .PayCode}}<div class="card" style="text-align:center">
<div class="barcode">{{.Barcode}}</div>
<div class="digits">{{.Spaced}}</div>
<img src="{{.QR}}" width="200" height="200" alt="QR {{.AuthCode}}">
<div class="muted">结果 Outcome {{.Outcome}} · 有效期至 valid until {{.Until}} · 仅限使用一次 single use</div>
</div>{{end}}
<div class="card"><form method="post" action="/sim/paycode"><input type="hidden" name="return" value="/">
<label>顾客扫码结果 Outcome <select name="outcome">{{range .Outcomes}}<option value="{{.}}">{{.}}</option>{{end}}</select></label>
<button class="pay">生成付款码 Show payment code</button>
</form></div>
<h2>扫一扫 · Scan a code</h2>
<div class="card"><form method="post" action="/sim/scan"><input type="hidden" name="return" value="/">
<input type="text" name="url" placeholder="weixin://wxpay/..." autocomplete="off" required>
<button class="pay" name="outcome" value="SUCCESS">扫码支付 Scan &amp; pay</button>
</form></div>
{{if .Recent}}<h2>最近订单 · Recent orders</h2>
<div class="card"><table>{{range .Recent}}<tr><td>{{.OutTradeNo}}</td><td>{{.Amount}}</td><td>{{.State}}</td></tr>{{end}}</table></div>{{end}}
</main></body></html>
`

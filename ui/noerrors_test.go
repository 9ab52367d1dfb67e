package ui

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// The errors injected while walking the screens: what a network, WeChat
// Pay, a disk or a printer really answer, wrapped the way the adapters do.
var (
	errWalkDial   = fmt.Errorf("dial tcp 127.0.0.1:443: connection refused")
	errWalkRefund = fmt.Errorf("refund K120261122000000: wxpay: return_code FAIL: want sign_type HMAC-SHA256, got %q", "MD5")
	errWalkSave   = fmt.Errorf("save config /root/.config/saoma/config.toml: open: %w", errors.New("read-only file system"))
	errWalkStore  = errors.New("bolt: put product 1001: database not open")
	errWalkPrint  = fmt.Errorf("print test page: dial tcp 192.168.1.50:9100: i/o timeout")
)

// goErrorTells are fragments only a Go error (or a formatting bug) puts
// in a text: network and file-system failures, validator phrasing, the
// %!verb of a bad Printf and a nil printed as text.
var goErrorTells = regexp.MustCompile(`(?i)dial tcp|connection refused|i/o timeout|deadline exceeded|no such file|permission denied|read-only file system|database not open|\bwant [a-z"]|\bgot [%"]|%!|<nil>|\bwxpay:|\bbolt:|return_code|\berr=`)

// errorChain is two or more ": " links of lower-case English words, as
// fmt.Errorf("context: %w") builds them ("save config: open: …"). One
// colon after a capitalised sentence ("Printing failed: check …") is not
// a chain.
var errorChain = regexp.MustCompile(`[a-z][\w./-]*(?: [\w./-]+)*: [\w./-]+(?: [\w./-]+)*: `)

// englishAfterColon is lower-case English after a colon: on a Chinese
// screen, an error's own words after a translated lead ("出错了: printer
// offline").
var englishAfterColon = regexp.MustCompile(`[:：]\s*[a-z]{2,}`)

// englishSentence is three English words in a row: on a Chinese screen
// that is text nobody translated. Names a Chinese shop uses as they are
// (WeChat, CSV, Excel, USB, QR, PIN) are single words and never trip it.
var englishSentence = regexp.MustCompile(`[A-Za-z]{2,}[,']?(?: [A-Za-z]{2,}[,.']?){2,}`)

// goErrorIn says why text looks like a raw Go error on a screen in the
// given language, or "".
func goErrorIn(text string, chinese bool) string {
	if m := goErrorTells.FindString(text); m != "" {
		return "error wording " + m
	}
	if m := errorChain.FindString(text); m != "" {
		return "error chain " + m
	}
	if chinese {
		if m := englishSentence.FindString(text); m != "" {
			return "English on a Chinese screen: " + m
		}
		if m := englishAfterColon.FindString(text); m != "" {
			return "English after a colon on a Chinese screen: " + m
		}
	}
	return ""
}

func TestGoErrorPatternKnowsErrorsFromSentences(t *testing.T) {
	cases := []struct {
		text    string
		chinese bool
		bad     bool
	}{
		{"出错了: dial tcp 127.0.0.1:443: connection refused", true, true},
		{`Something went wrong: : wxpay.appid: want "wx" and 16 letters`, false, true},
		{`bad amount "1.234": want yuan with up to two decimals`, false, true},
		{"save config: open config.toml: read-only", false, true},
		{"%!s(MISSING)", false, true},
		{"未能取得付款二维码（order K1: WeChat Pay did not issue a QR）", true, true},
		{"超大杯季节限定南瓜燕麦拿铁（热） ×2  ￥2469.12", true, false},
		{"Extra-large seasonal pumpkin spice oat latte ×1  ￥999.00", false, false},
		{"Printing failed: check the printer's power, paper and cover, then try again", false, false},
		{"导出 CSV", true, false},
		{"微信交易号 4200001234202611221234500000", true, false},
		{"Total ￥46.00 · Paid · QR", false, false},
		{"12:41  订单 K120261122000007", true, false},
		{"出错了: printer offline", true, true},
		{"reprint K1: printer: offline", false, true},
		{"打印失败：请检查打印机的电源、纸和上盖后再试", true, false},
	}
	for _, c := range cases {
		if got := goErrorIn(c.text, c.chinese); (got != "") != c.bad {
			t.Errorf("%q (chinese %v): %q, want bad %v", c.text, c.chinese, got, c.bad)
		}
	}
}

// visibleTexts are the whole texts shown in o: a label's, a button's or
// a rich text's as one string (a wrapped label draws it as pieces, and an
// error chain must not hide across the pieces), and any other text drawn.
func visibleTexts(o fyne.CanvasObject, out []string) []string {
	if o == nil || !o.Visible() {
		return out
	}
	add := func(s string) []string {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
		return out
	}
	switch v := o.(type) {
	case *canvas.Text:
		return add(v.Text)
	case *widget.Label:
		return add(v.Text)
	case *widget.RichText:
		return add(v.String())
	case *widget.Button:
		return add(v.Text)
	case *keyButton:
		return add(v.Text)
	case *widget.Check:
		return add(v.Text)
	case *fyne.Container:
		for _, c := range v.Objects {
			out = visibleTexts(c, out)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			out = visibleTexts(c, out)
		}
	}
	return out
}

// transactionID is a cut label's "text → shown" for a WeChat transaction id.
var transactionID = regexp.MustCompile(`^42\d{26} → `)

// TestNoScreenShowsAGoError walks every screen in both languages at
// 1024×768 and 1920×1080 with the engine, printer and disk failing, and
// fails on a window wider than the screen, on a label drawn cut, or on any
// text that reads like a Go error (or, on a Chinese screen, like
// untranslated English).
func TestNoScreenShowsAGoError(t *testing.T) {
	for _, size := range kioskSizes {
		t.Run(fmt.Sprintf("%vx%v", size.Width, size.Height), func(t *testing.T) { walkEveryScreen(t, size) })
	}
}

// walkEveryScreen opens every screen and dialog at size in both languages
// and checks that it fits, shows no Go error and cuts no label.
func walkEveryScreen(t *testing.T, size fyne.Size) {
	bilingual := map[string]string{} // English → Chinese, for every string
	for _, table := range []map[string][2]string{stringsTable, payCodeTable, reconTable, uibTable, uiaTable, errTable} {
		for _, v := range table {
			bilingual[v[1]] = v[0]
		}
	}
	for _, loc := range []string{"zh", "en"} {
		t.Run(loc, func(t *testing.T) {
			f := newFakeKiosk(t, app.Config{Locale: loc}, func(o *Options) {
				o.Size = size
				o.Logger = slog.New(slog.DiscardHandler)
				o.SaveConfig = func(app.Config) error { return errWalkSave }
				o.TestPrint = func() error { return errWalkPrint }
			})
			k := f.k
			f.resize(size)
			check := func(screen string) {
				t.Helper()
				relayout(k.win.Canvas())
				if w := k.win.Content().MinSize().Width; w > size.Width {
					t.Errorf("%s: needs %v px, the screen has %v", screen, w, size.Width)
				}
				// Nothing a cashier reads is cut, but WeChat's transaction
				// id: the Sales list's last column takes what is left.
				cut := cutLabels(k.win.Content(), nil)
				for _, o := range k.win.Canvas().Overlays().List() {
					cut = cutLabels(o, cut)
				}
				for _, c := range cut {
					if !transactionID.MatchString(c) {
						t.Errorf("%s: a label is cut: %s", screen, c)
					}
				}
				texts := visibleTexts(k.win.Content(), nil)
				for _, o := range k.win.Canvas().Overlays().List() {
					texts = visibleTexts(o, texts)
				}
				if len(texts) == 0 {
					t.Fatalf("%s: no text on the screen", screen)
				}
				shown := map[string]bool{}
				for _, s := range texts {
					shown[s] = true
				}
				for _, s := range texts {
					if zh, ok := bilingual[s]; ok && shown[zh] {
						continue // the customer's side, in both languages on purpose
					}
					if why := goErrorIn(s, loc == "zh"); why != "" {
						t.Errorf("%s shows %q (%s)", screen, s, why)
					}
				}
			}
			closeDialogs := func() {
				for k.dialogOpen() {
					k.closeDialog()
				}
			}

			// Sell, the charge refused before any order exists.
			f.eng.chargeErr = errWalkDial
			f.tapTile("1001")
			test.Tap(k.sell.chargeBtn)
			f.pump("the charge's error", func() bool { return k.sell.message.Text != "" })
			check("sell after a failed charge")
			f.eng.chargeErr = nil

			// Pay: WeChat issued no QR.
			o := f.charge()
			k.pay.show(o, time.Time{}, &app.ChargeError{OutTradeNo: o.OutTradeNo, Err: errWalkDial})
			check("pay without a QR")

			// Paid, the receipt's reprint failing.
			o.State, o.TransactionID, o.PaidAt = app.StatePaid, "4200000001", f.now
			f.eng.push(&o, nil)
			f.pump("paid", func() bool { return k.pay.paidView.Visible() })
			k.pay.reprint()
			f.pump("the reprint's error", func() bool { return k.pay.paidMsg.Visible() })
			check("paid with a failed reprint")
			test.Tap(k.pay.paidTap)

			// Cancelled.
			f.cancelByKey()
			check("cancelled")
			k.pay.next()

			// The PIN pad, a wrong PIN typed.
			press(k.win.Canvas(), fyne.KeyF2)
			if k.pin == nil || !k.dialogOpen() {
				t.Fatal("F2 did not ask the owner's PIN")
			}
			check("PIN")
			k.pin.entry.SetText("12")
			k.pin.entry.OnSubmitted("")
			check("PIN refused")

			// Sales on a busy day, a sale's detail with a failed refund
			// and a failed reprint.
			f.eng.mu.Lock()
			f.eng.reports = longReports(f.now)
			f.eng.refundErr = errWalkRefund
			f.eng.mu.Unlock()
			k.pin.entry.SetText(demoPIN)
			k.pin.entry.OnSubmitted("")
			if k.screen != "sales" {
				t.Fatalf("screen %s after the PIN", k.screen)
			}
			check("sales")
			s := k.sales
			var paid app.Order
			for _, o := range s.orders {
				if o.State == app.StatePaid {
					paid = o
					break
				}
			}
			s.showDetail(paid)
			top := k.win.Canvas().Overlays().Top()
			for _, c := range test.LaidOutObjects(top) {
				if e, ok := c.(*widget.Entry); ok && e.PlaceHolder == k.lang.T("refund.amount") {
					e.SetText("1.234") // one decimal too many
				}
			}
			test.Tap(buttonIn(top, k.lang.T("refund")))
			check("sale detail, a bad amount")
			for _, c := range test.LaidOutObjects(top) {
				if e, ok := c.(*widget.Entry); ok && e.PlaceHolder == k.lang.T("refund.amount") {
					e.SetText("1")
				}
			}
			said := func() string { // the detail's answer, under the history
				for _, c := range test.LaidOutObjects(top) {
					if l, ok := c.(*widget.Label); ok && l.Wrapping == fyne.TextWrapWord && l.Text != "" &&
						!strings.HasPrefix(l.Text, k.lang.T("events")) && l.Text != s.detailSummary(paid) && l.Text != s.detailState(paid) {
						return l.Text
					}
				}
				return ""
			}
			before := said()
			test.Tap(buttonIn(top, k.lang.T("refund")))
			test.Tap(buttonIn(k.win.Canvas().Overlays().Top(), k.lang.T("refund")))
			f.pump("the refund's error", func() bool { return said() != before })
			check("sale detail, the refund failed")
			before = said()
			test.Tap(buttonIn(top, k.lang.T("reprint")))
			f.pump("the reprint's error", func() bool { return said() != before })
			check("sale detail, the reprint failed")
			closeDialogs()

			// The export chooser.
			s.export(app.ExportCSV)
			check("export chooser")
			closeDialogs()

			// Settings: the save and the test page failing.
			k.settings = newSettingsScreen(k)
			k.setBody("settings", k.settings.obj)
			check("settings")
			k.settings.save()
			check("settings, the save failed")
			k.settings.testPrint()
			f.pump("the test page's error", func() bool { return k.settings.msg.Text != "" })
			check("settings, the test page failed")

			// The menu, and the product editor failing to save.
			k.showSell()
			k.openMenu()
			check("menu")
			closeDialogs()
			f.eng.saveErr = errWalkStore
			e := k.openProducts()
			check("product editor")
			e.id.SetText("7001")
			e.name.SetText("燕麦拿铁")
			e.price.SetText("18")
			test.Tap(e.saveBtn)
			check("product editor, the save failed")
			closeDialogs()
		})
	}
}

package ui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"saoma/app"
)

// The owner's books on the fake engine: the day's reconciliation, its
// differences, explaining one, and the Settings lines that came with them.

// diffDay is a reconciled day with one explained and two open differences.
func diffDay(day app.Day) app.Reconciliation {
	r := app.Reconciliation{Day: day, Gross: 123400, Refunds: 4600, Fees: 740, Orders: 17,
		CheckedAt: time.Date(2026, 11, 22, 2, 5, 0, 0, time.UTC),
		Diffs: []app.Diff{
			{Kind: app.DiffOnlyAtWeChat, OutTradeNo: "K120261121000003", TransactionID: "4200001234202611215555", WeChat: 3800, Action: app.ActionAdded},
			{Kind: app.DiffAmount, OutTradeNo: "K120261121000007", TransactionID: "4200001234202611217777", Ledger: 1200, WeChat: 1000, Action: app.ActionCheckPlatform},
			{Kind: app.DiffRefundOnlyAtWeChat, OutTradeNo: "K120261121000009", OutRefundNo: "K120261121000009-R1", WeChat: 500, Action: app.ActionCheckRefund,
				Explained: "已在商户平台退款", ExplainedAt: time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)},
		}}
	r.Net = r.Gross - r.Refunds - r.Fees
	r.State = app.Differences
	return r
}

// openSalesOn opens Sales behind the demo PIN on the fake's day.
func (f *fakeKiosk) openSalesOn(day app.Day) *salesScreen {
	f.t.Helper()
	f.k.openSales()
	f.k.pin.entry.SetText(demoPIN)
	f.k.pin.entry.OnSubmitted("")
	if f.k.sales == nil {
		f.t.Fatal("Sales did not open")
	}
	f.k.sales.load(day)
	return f.k.sales
}

// attentionCard is the number on the Sales screen's 需关注 card.
func attentionCard(s *salesScreen) string {
	card := s.cards.Objects[len(s.cards.Objects)-1]
	value := ""
	for _, o := range test.LaidOutObjects(card) {
		if t, ok := o.(*canvas.Text); ok && t.TextStyle.Bold {
			value = t.Text
		}
	}
	return value
}

func TestSalesShowsTheDaysReconciliation(t *testing.T) {
	explained := diffDay("2026-11-21")
	for i := range explained.Diffs {
		explained.Diffs[i].Explained = "ok"
	}
	explained.State = app.Reconciled
	clean := app.Reconciliation{Day: "2026-11-21", State: app.Reconciled, Gross: 50000, Refunds: 0, Fees: 300, Net: 49700, Orders: 4}
	cases := []struct {
		name      string
		loc       string
		rec       *app.Reconciliation
		state     string
		tick      bool
		bank      string // "" : no bank figures
		diffs     string // "" : no Differences button
		attention string
	}{
		{"a day without a bill yet is not reconciled, and says when the bill comes", "zh", nil,
			"未对账（微信账单次日 10:00 后生成）", false, "", "", "0"},
		{"a day without a bill yet, in English", "en", nil,
			"Not reconciled yet (WeChat's bill comes after 10:00 the next day)", false, "", "", "0"},
		{"a day that agrees with the bill is reconciled, with what reaches the bank", "zh", &clean,
			"已对账", true, "收款 ￥500.00 · 退款 ￥0.00 · 手续费 ￥3.00 · 结算金额 ￥497.00", "", "0"},
		{"a day with differences counts the open ones and offers the list", "en", ptr(diffDay("2026-11-21")),
			"2 differences", false, "Gross ￥1234.00 · refunds ￥46.00 · fees ￥7.40 · net settlement ￥1180.60", "Differences (3)", "2"},
		{"a day whose differences are all explained is reconciled and keeps the list", "zh", &explained,
			"已对账", true, "结算金额 ￥1180.60", "差异 (3)", "0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeKiosk(t, app.Config{Locale: c.loc})
			if c.rec != nil {
				f.eng.setRec(*c.rec)
			}
			s := f.openSalesOn("2026-11-21")
			b := s.recon
			if b.state.Text != c.state || b.icon.Visible() != c.tick {
				t.Errorf("state %q (tick %v), want %q (tick %v)", b.state.Text, b.icon.Visible(), c.state, c.tick)
			}
			if c.bank == "" && b.bank.Text != "" || !strings.Contains(b.bank.Text, c.bank) {
				t.Errorf("bank figures %q, want %q", b.bank.Text, c.bank)
			}
			if b.diffs.Visible() != (c.diffs != "") || c.diffs != "" && b.diffs.Text != c.diffs {
				t.Errorf("differences button %q shown %v, want %q", b.diffs.Text, b.diffs.Visible(), c.diffs)
			}
			if got := attentionCard(s); got != c.attention {
				t.Errorf("attention card %q, want %q", got, c.attention)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestADayReconciledInTheBackgroundShowsOnTheOpenSalesScreen(t *testing.T) {
	f := newFakeKiosk(t, app.Config{Locale: "en"})
	s := f.openSalesOn("2026-11-21")
	if s.recon.state.Text != "Not reconciled yet (WeChat's bill comes after 10:00 the next day)" {
		t.Fatalf("before: %q", s.recon.state.Text)
	}
	f.eng.setRec(diffDay("2026-11-21"))
	f.eng.push(nil, nil) // the Reconciler's result reaches the screens as a status change
	f.pump("the day's reconciliation", func() bool { return f.k.sales.recon.state.Text == "2 differences" })
	if got := f.k.status.flagged.Text; got != "2 flagged" {
		t.Errorf("status chip %q", got)
	}
}

func TestDifferencesListSaysWhatToDo(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	k := f.k
	f.eng.setRec(diffDay("2026-11-21"))
	s := f.openSalesOn("2026-11-21")
	test.Tap(s.recon.diffs)
	if s.diffs == nil || !k.dialogOpen() {
		t.Fatal("the Differences button opened no list")
	}
	texts := labelsIn(k.win.Canvas().Overlays().Top())
	for _, want := range []string{
		"微信有此笔收款，账本没有", "已补录为销售并标记：请确认商品已交付", "订单 K120261121000003", "账本 — · 微信 ￥38.00",
		"金额不符", "请在微信支付商户平台 (pay.weixin.qq.com) 查询这笔订单", "账本 ￥12.00 · 微信 ￥10.00",
		"退款只在微信", "退款单 K120261121000009-R1", "已说明：已在商户平台退款（2026-11-22 11:00）",
	} {
		if !containsText(texts, want) {
			t.Errorf("the list lacks %q: %q", want, texts)
		}
	}
	// Only the open differences can be explained.
	if s.diffs.explain[0] == nil || s.diffs.explain[1] == nil || s.diffs.explain[2] != nil {
		t.Errorf("explain buttons %v, want on the two open differences", s.diffs.explain)
	}
	if containsText(texts, "only_at_wechat") || containsText(texts, "check_platform") {
		t.Error("the list shows developer codes")
	}
}

func TestEveryDifferenceAndActionHasASentence(t *testing.T) {
	kinds := []app.DiffKind{app.DiffOnlyAtWeChat, app.DiffUnpaidInLedger, app.DiffOnlyInLedger, app.DiffAmount, app.DiffTransaction,
		app.DiffRefundOnlyAtWeChat, app.DiffRefundOnlyInLedger, app.DiffRefundAmount, app.DiffRefundState}
	actions := []app.DiffAction{app.ActionAddSale, app.ActionConfirmSale, app.ActionAdded, app.ActionConfirmed,
		app.ActionCheckPlatform, app.ActionCheckRefund}
	var keys []string
	for _, d := range kinds {
		keys = append(keys, "diff."+string(d))
	}
	for _, a := range actions {
		keys = append(keys, "action."+string(a))
	}
	keys = append(keys, "flag."+string(app.FlagFoundByReconciliation), "source."+string(app.SourceReconciliation))
	for _, key := range keys {
		if _, ok := lookup(key); !ok {
			t.Errorf("no sentence for %s", key)
		}
	}
	for key, v := range reconTable {
		if v[0] == "" || v[1] == "" {
			t.Errorf("%s: %q / %q", key, v[0], v[1])
		}
		if _, dup := stringsTable[key]; dup {
			t.Errorf("%s is in the main table too", key)
		}
		if _, dup := payCodeTable[key]; dup {
			t.Errorf("%s is in the payment-code table too", key)
		}
	}
}

func TestExplainingADifferenceNeedsTheOwnersPINAndANote(t *testing.T) {
	owner, err := app.HashPIN("2468")
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeKiosk(t, app.Config{Locale: "en", OwnerPIN: owner})
	k := f.k
	f.eng.setRec(diffDay("2026-11-21"))
	f.eng.setRec(diffDay("2026-11-19"))
	k.status.set(f.eng.Status())
	if got := k.status.flagged.Text; got != "4 flagged" {
		t.Fatalf("status chip %q before", got)
	}
	k.openSales()
	k.pin.entry.SetText("2468")
	k.pin.entry.OnSubmitted("")
	s := k.sales
	s.load("2026-11-21")
	if got := s.flagBtn.Text; got != "Flagged (4)" {
		t.Errorf("flagged button %q, want the days' open differences counted", got)
	}
	s.showDiffs()
	before := k.pin
	test.Tap(s.diffs.explain[1])
	if k.pin == before {
		t.Fatal("Mark as explained did not ask the owner's PIN")
	}
	k.pin.entry.SetText("1111")
	k.pin.entry.OnSubmitted("")
	if s.note != nil {
		t.Fatal("a wrong PIN opened the note")
	}
	k.pin.entry.SetText("2468")
	k.pin.entry.OnSubmitted("")
	if s.note == nil {
		t.Fatal("the owner's PIN opened no note")
	}
	test.Tap(s.note.save)
	if f.eng.called("ExplainDifference") || s.note.msg.Text != "Write a note first" {
		t.Errorf("an empty note: called %v, message %q", f.eng.called("ExplainDifference"), s.note.msg.Text)
	}
	test.Tap(s.note.quick[0]) // 已在商户平台核对无误
	if s.note.entry.Text != "Checked in the merchant platform" {
		t.Errorf("quick choice wrote %q", s.note.entry.Text)
	}
	test.Tap(s.note.save)
	if got := f.eng.explained; len(got) != 1 || got[0] != "2026-11-21/1/Checked in the merchant platform" {
		t.Fatalf("ExplainDifference calls %q", got)
	}
	// The list, the day and the attention counts follow.
	if s.diffs == nil || s.diffs.explain[1] != nil || s.diffs.explain[0] == nil {
		t.Errorf("after explaining: buttons %v", s.diffs.explain)
	}
	if !containsText(labelsIn(k.win.Canvas().Overlays().Top()), "Explained: Checked in the merchant platform") {
		t.Error("the list does not show the note")
	}
	if s.recon.state.Text != "1 difference" || attentionCard(s) != "1" {
		t.Errorf("day state %q, attention card %q", s.recon.state.Text, attentionCard(s))
	}
	if s.flagBtn.Text != "Flagged (3)" || k.status.flagged.Text != "3 flagged" {
		t.Errorf("attention: button %q, status chip %q", s.flagBtn.Text, k.status.flagged.Text)
	}
}

func TestAttentionListOffersTheDaysWithDifferences(t *testing.T) {
	f := newFakeKiosk(t, app.Config{})
	k := f.k
	f.eng.reports = longReports(f.now)
	f.eng.setRec(diffDay("2026-11-19"))
	settled := diffDay("2026-11-20")
	settled.Diffs = settled.Diffs[2:] // only the explained refund
	settled.State = app.Reconciled
	f.eng.setRec(settled)
	s := f.openSalesOn("2026-11-22")
	if s.diffDayRow.Visible() {
		t.Error("the day list shows the days with differences")
	}
	s.toggleFlagged()
	if !s.diffDayRow.Visible() {
		t.Fatal("the attention list does not offer the days with differences")
	}
	var day *keyButton
	for _, o := range s.diffDayBox.Objects {
		if b, ok := o.(*keyButton); ok {
			if strings.Contains(b.Text, "2026-11-20") {
				t.Error("a day whose differences are explained is offered")
			}
			if b.Text == "2026-11-19 · 2 处" {
				day = b
			}
		}
	}
	if day == nil {
		t.Fatalf("no button for 2026-11-19: %v", labelsIn(s.diffDayRow))
	}
	test.Tap(day)
	if s.flagged || s.day != "2026-11-19" || s.diffs == nil || !k.dialogOpen() {
		t.Errorf("tapping the day: flagged %v, day %s, list open %v", s.flagged, s.day, s.diffs != nil)
	}
}

func TestReconciliationHistoryReadsAsSentences(t *testing.T) {
	cases := []struct {
		name string
		loc  string
		e    app.Event
		want string
	}{
		{"a sale found in the bill says so with its data", "zh",
			app.Event{Source: app.SourceReconciliation, From: app.StateCreated, To: app.StatePaid,
				Note: "ALERT: paid at WeChat (transaction 4200001234, ¥38.00) but missing from the ledger: added from the bill of 2026-11-21"},
			"变为「已支付」（微信对账单） · 注意：微信有此笔付款（交易号 4200001234，￥38.00），账本没有，已按 2026-11-21 的对账单补录"},
		{"a payment confirmed from the bill says so", "en",
			app.Event{Source: app.SourceReconciliation, From: app.StatePaid, To: app.StatePaid,
				Note: "ALERT: payment 4200005678 found only in WeChat's bill of 2026-11-21"},
			"WeChat's daily bill · Attention: payment 4200005678 was found only in WeChat's bill of 2026-11-21; recorded as paid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := &Kiosk{lang: langOf(c.loc)}
			if got := k.eventText(c.e, noteRules()); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	f := newFakeKiosk(t, app.Config{})
	s := f.openSalesOn("2026-11-22")
	o := app.Order{OutTradeNo: "K1FOUND", Total: 3800, State: app.StatePaid, Flag: app.FlagFoundByReconciliation}
	if got := s.stateText(o); got != "已支付 · 对账补录" {
		t.Errorf("a sale found by reconciliation reads %q", got)
	}
	f.eng.orders[o.OutTradeNo] = o
	s.showDetail(o)
	handed := buttonIn(f.k.win.Canvas().Overlays().Top(), f.k.lang.T("handed.over"))
	if handed == nil {
		t.Fatal("a sale found by reconciliation offers no 已交付商品")
	}
	test.Tap(handed)
	f.k.pin.entry.SetText(demoPIN)
	f.k.pin.entry.OnSubmitted("")
	if !f.eng.called("Resolve") {
		t.Error("goods handed over was not recorded")
	}
}

func TestSettingsShowTheWeChatPayAPI(t *testing.T) {
	cases := []struct {
		name string
		loc  string
		wx   app.WxPayConfig
		want string
	}{
		{"v2 is the default", "zh", app.WxPayConfig{}, "API v2"},
		{"v2 when set", "en", app.WxPayConfig{API: "v2", Key: "k"}, "API v2"},
		{"v3 without the v2 key says what it lacks", "zh", app.WxPayConfig{API: "v3"}, "API v3 · 付款码和货架码需要 v2 API 密钥"},
		{"v3 with the v2 key says payment codes and labels work", "en", app.WxPayConfig{API: "v3", Key: "k"},
			"API v3 · v2 key set: payment codes and shelf labels work"},
		{"v3 with the v2 key in its own file", "en", app.WxPayConfig{API: "v3", KeyFile: "/etc/saoma/key"},
			"API v3 · v2 key set: payment codes and shelf labels work"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeKiosk(t, app.Config{Locale: c.loc, WxPay: c.wx})
			k := f.k
			k.openSettings()
			k.pin.entry.SetText(demoPIN)
			k.pin.entry.OnSubmitted("")
			if got := k.settings.api.Text; got != c.want {
				t.Errorf("API line %q, want %q", got, c.want)
			}
			if !containsText(labelsIn(k.win.Content()), c.want) {
				t.Error("the API line is not on the screen")
			}
		})
	}
}

func TestSettingsSaveTheSpeaker(t *testing.T) {
	cases := []struct {
		name       string
		before     app.SpeakerConfig
		shown      float64
		volume     float64
		mute       bool
		want       app.SpeakerConfig
		setSpeaker bool
	}{
		{"an unset volume shows as 100 and a new one is saved and applied", app.SpeakerConfig{}, 100, 40, false,
			app.SpeakerConfig{Volume: 40}, true},
		{"mute is saved with the volume, and the language is kept", app.SpeakerConfig{Volume: 70, Language: "zh"}, 70, 70, true,
			app.SpeakerConfig{Volume: 70, Muted: true, Language: "zh"}, true},
		{"without a callback it is saved for the next start", app.SpeakerConfig{Volume: 30, Muted: true}, 30, 30, false,
			app.SpeakerConfig{Volume: 30}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var saved []app.Config
			var applied []app.SpeakerConfig
			f := newFakeKiosk(t, app.Config{Speaker: c.before}, func(o *Options) {
				o.SaveConfig = func(cfg app.Config) error { saved = append(saved, cfg); return nil }
				if c.setSpeaker {
					o.SetSpeaker = func(sc app.SpeakerConfig) { applied = append(applied, sc) }
				}
			})
			k := f.k
			k.openSettings()
			k.pin.entry.SetText(demoPIN)
			k.pin.entry.OnSubmitted("")
			s := k.settings
			if s.volume.Value != c.shown || s.mute.Checked != c.before.Muted {
				t.Errorf("shown volume %v mute %v", s.volume.Value, s.mute.Checked)
			}
			s.volume.SetValue(c.volume)
			if s.volumeText.Text != strconv.Itoa(int(c.volume)) {
				t.Errorf("volume label %q", s.volumeText.Text)
			}
			s.mute.SetChecked(c.mute)
			s.save()
			if len(saved) != 1 || saved[0].Speaker != c.want {
				t.Fatalf("saved %+v, want %+v", saved, c.want)
			}
			if k.cfg.Speaker != c.want {
				t.Errorf("the kiosk keeps %+v", k.cfg.Speaker)
			}
			if c.setSpeaker && (len(applied) != 1 || applied[0] != c.want) {
				t.Errorf("applied %+v, want %+v at once", applied, c.want)
			}
		})
	}
}

// The reconciled day with differences fits the window too (see
// TestScreensFitTheWindow); the list of differences fits it as a dialog.
func diffsFit(t *testing.T, k *Kiosk, size fyne.Size) {
	t.Helper()
	k.sales.showDiffs()
	if k.sales.diffs == nil {
		t.Fatal("no list of differences")
	}
	if min := k.win.Canvas().Overlays().Top().MinSize(); min.Width > size.Width || min.Height > size.Height {
		t.Errorf("the list of differences needs %vx%v", min.Width, min.Height)
	}
	k.closeDialog()
}

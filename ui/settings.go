package ui

import (
	"context"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"saoma/app"
)

// settingsScreen edits the configuration. Secrets are write-only: the key
// and token fields start empty and an empty field keeps the stored value.
type settingsScreen struct {
	k   *Kiosk
	obj fyne.CanvasObject
	msg *widget.Label

	shop, kiosk, boundary   *keyEntry
	language                *keySelect
	appID, mchID, key, cert *keyEntry
	signType                *keySelect
	relayURL, relayToken    *keyEntry
	relayCA                 *keyEntry
	printerKind             *keySelect
	printerAddr             *keyEntry
	paper                   *keySelect
	ownerPIN, cashierPIN    *keyEntry
	api                     *widget.Label // the WeChat Pay API in use
	volume                  *widget.Slider
	volumeText              *widget.Label
	mute                    *widget.Check
}

func newSettingsScreen(k *Kiosk) *settingsScreen {
	l := k.lang
	c := k.cfg
	s := &settingsScreen{k: k, msg: widget.NewLabel("")}
	s.msg.Wrapping = fyne.TextWrapWord
	entry := func(v string) *keyEntry { e := newEntry(k, false); e.SetText(v); return e }
	secret := func(isSet bool) *keyEntry {
		e := newEntry(k, true)
		if isSet {
			e.SetPlaceHolder("••••••••")
		}
		return e
	}
	s.shop, s.kiosk, s.boundary = entry(c.Shop), entry(c.KioskID), entry(c.DayBoundary)
	s.boundary.SetPlaceHolder("00:00")
	s.language = newSelect(k, []string{"中文", "English"}, nil)
	s.language.SetSelectedIndex(int(k.lang))
	s.appID, s.mchID = entry(c.WxPay.AppID), entry(c.WxPay.MchID)
	s.key = secret(c.WxPay.Key != "")
	s.cert = entry(c.WxPay.CertFile)
	s.signType = newSelect(k, []string{"MD5", "HMAC-SHA256"}, nil)
	s.signType.SetSelected(orDefault(c.WxPay.SignType, "MD5"))
	s.relayURL = entry(c.Relay.URL)
	s.relayToken = secret(c.Relay.Token != "")
	s.relayCA = entry(c.Relay.CAFile)
	s.printerKind = newSelect(k, []string{"png", "tcp", "device", "cups", "windows", "none"}, nil)
	s.printerKind.SetSelected(orDefault(c.Printer.Kind, "png"))
	addr := c.Printer.Address
	switch c.Printer.Kind {
	case "device":
		addr = c.Printer.Device
	case "cups":
		addr = c.Printer.CUPSQueue
	case "windows":
		addr = c.Printer.WindowsPrinter
	}
	s.printerAddr = entry(addr)
	s.paper = newSelect(k, []string{"58", "80"}, nil)
	s.paper.SetSelected(strconv.Itoa(max(c.Printer.Paper, 58)))
	if c.Printer.Paper == 0 {
		s.paper.SetSelected("80")
	}
	s.ownerPIN, s.cashierPIN = newEntry(k, true), newEntry(k, true)
	s.api = wrapLabel(apiText(l, c.WxPay))
	// The speaker's volume is 1–100: 0 in the file means the default
	// (100), so silence is the Mute check, not the slider's end.
	s.volume = widget.NewSlider(1, 100)
	s.volume.Step = 1
	s.volumeText = widget.NewLabel("")
	s.volume.OnChanged = func(v float64) { s.volumeText.SetText(strconv.Itoa(int(v))) }
	s.volume.SetValue(float64(speakerVolume(c.Speaker)))
	s.mute = widget.NewCheck(l.T("speaker.mute"), nil)
	s.mute.SetChecked(c.Speaker.Muted)

	group := func(title string, items ...*widget.FormItem) fyne.CanvasObject {
		return widget.NewCard(title, "", widget.NewForm(items...))
	}
	fi := widget.NewFormItem
	shop := group(l.T("group.shop"), fi(l.T("shop"), s.shop), fi(l.T("kiosk.id"), s.kiosk),
		fi(l.T("language"), s.language), fi(l.T("day.boundary"), s.boundary))
	wx := group(l.T("group.wx"), fi(l.T("wx.api"), s.api), fi(l.T("wx.appid"), s.appID), fi(l.T("wx.mchid"), s.mchID),
		fi(l.T("wx.key"), s.key), fi(l.T("wx.signtype"), s.signType), fi(l.T("wx.cert"), s.cert))
	relay := group(l.T("group.relay"), fi(l.T("relay.url"), s.relayURL), fi(l.T("relay.token"), s.relayToken),
		fi(l.T("relay.ca"), s.relayCA))
	prn := group(l.T("group.printer"), fi(l.T("printer.kind"), s.printerKind), fi(l.T("printer.addr"), s.printerAddr),
		fi(l.T("printer.paper"), s.paper))
	if k.opts.PrinterConfirms != nil && !k.opts.PrinterConfirms() {
		// Device files and CUPS cannot say whether paper came out.
		note := widget.NewLabel(l.T("printer.noconfirm"))
		note.Wrapping = fyne.TextWrapWord
		prn = container.NewVBox(prn, note)
	}
	if k.opts.TestPrint != nil {
		test := newButton(k, l.T("test.print"), s.testPrint)
		prn = container.NewVBox(prn, test)
	}
	pins := group(l.T("group.pins"), fi(l.T("pin.new.owner"), s.ownerPIN), fi(l.T("pin.new.cashier"), s.cashierPIN))
	speaker := group(l.T("group.speaker"),
		fi(l.T("speaker.volume"), container.NewBorder(nil, nil, nil, s.volumeText, s.volume)), fi("", s.mute))
	about := widget.NewCard(l.T("about"), "", widget.NewForm(aboutItems(k, k.opts.RelayCertExpiry)...))
	save := newButton(k, l.T("save"), s.save)
	save.Importance = widget.HighImportance
	top := container.NewHBox(newButton(k, l.T("back"), k.back),
		widget.NewLabelWithStyle(l.T("settings"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	top.Add(newButton(k, l.T("products"), func() { k.openProducts() })) // the product editor (products.go)
	cols := container.NewGridWithColumns(2, container.NewVBox(shop, relay, prn, speaker), container.NewVBox(wx, pins, about))
	s.obj = container.NewPadded(container.NewBorder(top, container.NewVBox(s.msg, save), nil, nil, container.NewVScroll(cols)))
	return s
}

// apiText says which WeChat Pay API the kiosk speaks and, on v3, whether
// the v2 key that payment codes and shelf labels need is set.
func apiText(l lang, w app.WxPayConfig) string {
	switch {
	case !w.V3():
		return l.T("wx.api.v2")
	case w.Key != "" || w.KeyFile != "":
		return l.T("wx.api.v3.key")
	}
	return l.T("wx.api.v3.nokey")
}

// speakerVolume is the volume the speaker plays at: 100 when unset.
func speakerVolume(c app.SpeakerConfig) int {
	if c.Volume <= 0 {
		return 100
	}
	return min(c.Volume, 100)
}

// aboutItems are the rows of Settings → About. certExpiry, if set, gives
// the relay certificate's expiry (relay.Client.CertExpiry) for a row of
// its own, shown only with a relay.
func aboutItems(k *Kiosk, certExpiry func() time.Time) []*widget.FormItem {
	l := k.lang
	fi := widget.NewFormItem
	items := []*widget.FormItem{
		fi(l.T("version"), widget.NewLabel(k.opts.Version)),
		fi(l.T("data.dir"), wrapLabel(k.opts.DataDir)),
		fi(l.T("sim.page"), wrapLabel(orDefault(k.opts.SimURL, "—"))),
	}
	if certExpiry != nil && k.cfg.Relay.URL != "" {
		items = append(items, fi(l.T("relay.cert"), widget.NewLabel(relayCertText(l, certExpiry(), k.now().In(k.loc)))))
	}
	return items
}

// relayCertSoon is how close to its expiry the relay certificate is
// flagged in Settings: a month leaves time to renew it.
const relayCertSoon = 30 * 24 * time.Hour

// relayCertText says until when the relay's certificate is valid, flagging
// an expired one and one expiring within relayCertSoon.
func relayCertText(l lang, expiry, now time.Time) string {
	if expiry.IsZero() {
		return l.T("relay.cert.unknown")
	}
	date := expiry.In(now.Location()).Format("2006-01-02")
	switch left := expiry.Sub(now); {
	case left <= 0:
		return l.T("relay.cert.expired", date)
	case left < relayCertSoon:
		return l.T("relay.cert.soon", date, int(relayCertSoon/(24*time.Hour)))
	}
	return date
}

func wrapLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapBreak
	return l
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// save validates and stores the settings; the language applies at once.
func (s *settingsScreen) save() {
	k := s.k
	c := k.cfg
	c.Shop, c.KioskID, c.DayBoundary = s.shop.Text, s.kiosk.Text, s.boundary.Text
	c.Locale = "zh"
	if s.language.SelectedIndex() == 1 {
		c.Locale = "en"
	}
	c.WxPay.AppID, c.WxPay.MchID, c.WxPay.CertFile, c.WxPay.SignType = s.appID.Text, s.mchID.Text, s.cert.Text, s.signType.Selected
	if s.key.Text != "" {
		c.WxPay.Key = s.key.Text
	}
	c.Relay.URL, c.Relay.CAFile = s.relayURL.Text, s.relayCA.Text
	if s.relayToken.Text != "" {
		c.Relay.Token = s.relayToken.Text
	}
	c.Printer.Kind = s.printerKind.Selected
	c.Printer.Address, c.Printer.Device, c.Printer.CUPSQueue, c.Printer.WindowsPrinter = "", "", "", ""
	switch c.Printer.Kind {
	case "tcp":
		c.Printer.Address = s.printerAddr.Text
	case "device":
		c.Printer.Device = s.printerAddr.Text
	case "cups":
		c.Printer.CUPSQueue = s.printerAddr.Text
	case "windows":
		c.Printer.WindowsPrinter = s.printerAddr.Text
	}
	c.Printer.Paper, _ = strconv.Atoi(s.paper.Selected)
	c.Speaker.Volume, c.Speaker.Muted = int(s.volume.Value), s.mute.Checked
	for _, p := range []struct {
		e   *keyEntry
		dst *string
	}{{s.ownerPIN, &c.OwnerPIN}, {s.cashierPIN, &c.CashierPIN}} {
		if p.e.Text == "" {
			continue
		}
		h, err := app.HashPIN(p.e.Text)
		if err != nil {
			s.msg.SetText(k.errText(err))
			return
		}
		*p.dst = h
	}
	if err := k.saveConfig(c); err != nil {
		k.logErr("save settings", err)
		s.msg.SetText(k.errText(err))
		return
	}
	langChanged := c.Locale != k.cfg.Locale
	k.cfg = c
	if k.opts.SetSpeaker != nil {
		k.opts.SetSpeaker(c.Speaker) // heard at the next payment, no restart
	}
	if langChanged {
		k.setLocale(c.Locale) // rebuilds this screen in the new language
		k.settings.msg.SetText(k.lang.T("saved"))
		return
	}
	s.msg.SetText(k.lang.T("saved"))
}

// testPrint sends a test page off the UI goroutine (a network printer may
// take seconds to answer) and says how it went, in the kiosk's language.
func (s *settingsScreen) testPrint() {
	k := s.k
	s.msg.SetText("")
	k.request(func(context.Context) error { return k.opts.TestPrint() }, func(err error) {
		k.logErr("test print", err)
		if k.settings != s {
			return // the screen was left or rebuilt meanwhile
		}
		if err != nil {
			s.msg.SetText(k.printErrText(err))
			return
		}
		s.msg.SetText(k.lang.T("test.sent"))
	})
}

// saveConfig validates c and stores it through Options.SaveConfig. In demo
// mode what is stored is c without the demo world's merchant and relay
// (fake credentials the validator refuses and the file must never hold):
// the shop name, PINs, language, printer and speaker the owner chose.
func (k *Kiosk) saveConfig(c app.Config) error {
	if k.opts.Demo {
		c = c.WithoutDemo(k.opts.Config)
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if k.opts.SaveConfig == nil {
		return nil
	}
	return k.opts.SaveConfig(c)
}

package ui

import (
	"regexp"
	"strings"

	"saoma/app"
)

// The order's history in the kiosk's language. The engine writes its
// events for the log (source, states, an English note); the owner reads
// one sentence per event: what happened, who said so, and only the note's
// data (a transaction id, an amount, a refund number).

// noteRule turns one kind of engine note into a string key; the captured
// groups (data only) are its arguments.
type noteRule struct {
	re  *regexp.Regexp
	key string
}

// noteRules know the engine's notes; a note none matches is shown as it
// is, since it may carry data. Built per call: no package-level state.
func noteRules() []noteRule {
	r := func(expr, key string) noteRule { return noteRule{regexp.MustCompile(expr), key} }
	return []noteRule{
		r(`^charged (\S+) for (\d+) lines?$`, "note.charged"),
		r(`^QR issued$`, "note.qr"),
		r(`^cancelled$`, ""),
		r(`^QR expired unpaid$`, "note.expired"),
		r(`^paid, transaction (\S+)$`, "note.paid"),
		r(`^closed: never reached WeChat Pay$`, "note.never"),
		r(`^closed with WeChat Pay$`, "note.closed"),
		r(`^closed: WeChat Pay's payment under this number is an earlier order's$`, "note.earlier"),
		r(`^WeChat Pay reports (\S+)$`, "note.reports"),
		r(`^mode-1 scan of product (\S+)$`, "note.shelf"),
		r(`^accepted by WeChat Pay$`, "note.refund.accepted"),
		r(`^refused by WeChat Pay: (.+)$`, "note.refund.refused"),
		r(`^refund notification$`, "note.refund.notified"),
		r(`^refund (\S+) of (\S+) found at WeChat Pay`, "note.refund.found"),
		r(`^resolved \S+: (.+)$`, "note.resolved"),
		r(`^payment code refused: (\S+)$`, "note.paycode.refused"),
		r(`^customer entering the password$`, "note.paycode.password"),
		r(`^outcome unknown: `, "note.paycode.unknown"),
		r(`^payment code \S+: reversing$`, "note.paycode.reversing"),
		r(`^cancelled: reversing the payment code$`, "note.paycode.cancelled"),
		r(`^reversed with WeChat Pay$`, "note.paycode.reversed"),
		r(`^ALERT: WeChat Pay already has this order number`, "alert.number"),
		r(`^ALERT: second transaction (\S+) reported`, "alert.second"),
		r(`^ALERT: transaction (\S+) paid at .* belongs to an earlier order`, "alert.earlier"),
		r(`^ALERT: confirmation (\S+) for (\S+) does not match order total ([^;\s]+)`, "alert.mismatch"),
		r(`^ALERT: refund (\S+): .* after a final outcome`, "alert.refund"),
		r(`^ALERT: paid at WeChat \(transaction (\S+), (\S+)\) but missing from the ledger: added from the bill of (\S+)$`, "alert.found"),
		r(`^ALERT: payment (\S+) found only in WeChat's bill of (\S+)$`, "alert.bill"),
		r(`^ALERT:`, "alert.other"),
	}
}

// eventText is one history line: "became Paid (WeChat notification) ·
// WeChat transaction 4200…".
func (k *Kiosk) eventText(e app.Event, rules []noteRule) string {
	l := k.lang
	src := l.T("source." + string(e.Source))
	var parts []string
	if e.From != e.To {
		parts = append(parts, l.T("event.move", l.T("state."+string(e.To)), src))
	} else {
		parts = append(parts, src)
	}
	if note := k.noteText(e.Note, rules); note != "" {
		parts = append(parts, note)
	}
	return strings.Join(parts, " · ")
}

func (k *Kiosk) noteText(note string, rules []noteRule) string {
	if note == "" {
		return ""
	}
	for _, r := range rules {
		m := r.re.FindStringSubmatch(note)
		if m == nil {
			continue
		}
		if r.key == "" {
			return ""
		}
		args := make([]any, 0, len(m)-1)
		for _, g := range m[1:] {
			args = append(args, strings.Replace(g, "¥", "￥", 1))
		}
		return k.lang.T(r.key, args...)
	}
	return note
}

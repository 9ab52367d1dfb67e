package app

import (
	"fmt"
	"time"
)

// Day is a local business day, "2006-01-02". A business day runs from the
// shop's day boundary (e.g. 04:00) to the same time the next calendar day,
// so a late-night sale counts toward the evening it belongs to.
type Day string

// DayLayout is the layout of a Day.
const DayLayout = "2006-01-02"

// BusinessDay returns the business day that t falls in, in loc, with the day
// starting at boundary after midnight (0 ≤ boundary < 24h).
func BusinessDay(t time.Time, boundary time.Duration, loc *time.Location) Day {
	return Day(t.In(loc).Add(-boundary).Format(DayLayout))
}

// ParseDay parses "2006-01-02".
func ParseDay(s string) (Day, error) {
	if _, err := time.Parse(DayLayout, s); err != nil {
		return "", fmt.Errorf("bad date %q: want YYYY-MM-DD", s)
	}
	return Day(s), nil
}

// Time returns midnight of the calendar date d in loc.
func (d Day) Time(loc *time.Location) time.Time {
	t, _ := time.ParseInLocation(DayLayout, string(d), loc)
	return t
}

// Add returns the day n days after d.
func (d Day) Add(n int) Day {
	t, _ := time.Parse(DayLayout, string(d))
	return Day(t.AddDate(0, 0, n).Format(DayLayout))
}

// ProductTotal is one product's share of a period's sales.
type ProductTotal struct {
	ProductID string
	Name      string
	Qty       int
	Amount    Fen
}

// DayTotal is one business day's takings. Refunds count on the day they
// were asked for, not the day of the sale they return money from.
type DayTotal struct {
	Day            Day
	Sales          int
	Gross          Fen // money received for that day's sales
	Refunds        Fen // refunds asked for that day that WeChat reports succeeded
	RefundsPending Fen // refunds asked for that day whose outcome is not final yet
	Net            Fen // Gross − Refunds
}

// Summary answers "what did we take?" for a range of business days. Sales
// count on the business day of their payment, refunds on the business day
// they were asked for (a sale on Monday refunded on Tuesday is Monday's gross
// and Tuesday's refund).
type Summary struct {
	From, To Day // inclusive
	Sales    int // paid orders (including paid after cancel)
	Gross    Fen // money received
	Refunds  Fen // money returned: refunds asked for in the range that WeChat reports succeeded
	// RefundsPending is refunds asked for in the range whose outcome WeChat
	// has not reported as final (pending, processing, abnormal). They are
	// not subtracted from Net until they succeed.
	RefundsPending Fen
	Net            Fen // Gross − Refunds
	ByProduct      []ProductTotal
	ByHour         [24]Fen       // gross by local hour of payment
	ByState        map[State]int // orders by final outcome, cancelled ones too
	Days           []DayTotal    // one per day in the range, oldest first
	Flagged        int           // orders carrying a Flag
}

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

// DayTotal is one business day's takings.
type DayTotal struct {
	Day   Day
	Sales int
	Gross Fen
	Net   Fen
}

// Summary answers "what did we take?" for a range of business days.
type Summary struct {
	From, To  Day // inclusive
	Sales     int // paid orders (including paid after cancel)
	Gross     Fen // money received
	Refunds   Fen // money returned (refunds not failed)
	Net       Fen // Gross − Refunds
	ByProduct []ProductTotal
	ByHour    [24]Fen       // gross by local hour of payment
	ByState   map[State]int // orders by final outcome, cancelled ones too
	Days      []DayTotal    // one per day in the range, oldest first
	Flagged   int           // orders carrying a Flag
}

package app

import (
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned by stores for an unknown order or product.
var ErrNotFound = errors.New("not found")

// Orders is the durable order book the checkout engine needs. Every method
// that changes an order is one atomic, durable transaction.
type Orders interface {
	// NextOutTradeNo reserves the next out_trade_no from the kiosk's
	// persistent sequence; it never returns the same number twice.
	NextOutTradeNo(kioskID string, now time.Time) (string, error)
	// Create stores a new order (state created) durably. It fails if the
	// out_trade_no already exists.
	Create(o Order) error
	// Get returns a copy of an order, or an error wrapping ErrNotFound.
	Get(outTradeNo string) (Order, error)
	// Update loads the order, calls fn on it, and saves the result in the
	// same transaction. If fn returns an error nothing is saved and the error
	// is returned. It returns the order as saved.
	Update(outTradeNo string, fn func(o *Order) error) (Order, error)
	// Confirm applies a payment confirmation in one transaction (see
	// Order.Confirm) and returns the outcome and the order as saved.
	Confirm(c Confirmation, at time.Time) (Order, ConfirmOutcome, error)
	// OpenOrders returns every order in an open state (created, awaiting,
	// cancel_pending), oldest first.
	OpenOrders() ([]Order, error)
}

// Catalog is the shop's product list.
type Catalog interface {
	Products() ([]Product, error)
	Product(id string) (Product, error)
	// ProductByQRID finds the product a mode-1 QR's product_id names.
	ProductByQRID(qrID string) (Product, error)
	PutProduct(p Product) error
}

// ExportFormat is a file format for exports.
type ExportFormat string

// The export formats.
const (
	ExportCSV  ExportFormat = "csv"
	ExportXLSX ExportFormat = "xlsx"
)

// Reports answers the owner's questions about business days.
type Reports interface {
	// Summary covers business days from..to inclusive.
	Summary(from, to Day) (Summary, error)
	// DayOrders lists the orders of business days from..to whose outcome
	// matters to the owner (paid, refunded, flagged, cancelled), newest first.
	DayOrders(from, to Day) ([]Order, error)
	// Export writes days from..to as CSV or XLSX to w.
	Export(w io.Writer, from, to Day, f ExportFormat) error
}

package app

import (
	"context"
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
	// OpenOrders returns every order that still needs settling with WeChat
	// (Order.Unsettled: an open state, or a refund whose outcome is not
	// final), oldest first.
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
	// Export writes days from..to as CSV or XLSX to w, labelled in both
	// languages.
	Export(w io.Writer, from, to Day, f ExportFormat) error
	// ExportWith writes days from..to as opts asks: format, language,
	// one row per day.
	ExportWith(w io.Writer, from, to Day, opts ExportOptions) error
}

// ExportOptions says how an export is written.
type ExportOptions struct {
	// Format is ExportCSV or ExportXLSX.
	Format ExportFormat
	// Lang is the language of headers, sheet names and state labels: "zh",
	// "en", or "" for both ("中文 English", the default). The machine codes
	// of states and flags keep their own columns in every language.
	Lang string
	// ByDay makes a CSV export one row per business day (paid orders,
	// gross, refunds, pending refunds, net) instead of one row per order.
	// An XLSX export always carries a by-day sheet when the range spans
	// more than one day.
	ByDay bool
}

// PaperKind says which of the kiosk's papers to print.
type PaperKind string

// The papers the kiosk prints.
const (
	// PaperReceipt is the sale receipt after payment; its QR encodes the
	// out_trade_no so a scanner finds the order for a refund.
	PaperReceipt PaperKind = "receipt"
	// PaperBill is the bill before payment, carrying the order's code_url
	// as a QR and "valid until hh:mm".
	PaperBill PaperKind = "bill"
	// PaperLabel is a product label with the product's Native mode-1 QR
	// (a short link) and its name and price.
	PaperLabel PaperKind = "label"
)

// Paper is one thing to print, independent of the printer.
type Paper struct {
	Kind    PaperKind
	Shop    string // shop name for the header
	KioskID string
	Order   Order   // receipts and bills
	Product Product // labels
	QR      string  // the QR payload: code_url, short link or out_trade_no
	Reprint bool    // printed again on request; marked as a copy
}

// Printer takes papers to print. Print must not block on a slow or dead
// printer for long: implementations queue the job and report failure as an
// error that the caller can show and retry. A printer failure never undoes a
// sale.
type Printer interface {
	Print(ctx context.Context, p Paper) (jobID string, err error)
}

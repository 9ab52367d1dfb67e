package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrRejected marks a notification or callback the engine refused (bad
// signature, another merchant, unknown order). It changes nothing; the
// relay should not deliver it again.
var ErrRejected = errors.New("rejected")

// HandleNotification applies a notification delivered by the relay: a
// payment or a refund outcome. The engine has it verified by the payment
// adapter itself — signature, merchant, amount — because the relay is not
// trusted; header carries the HTTP headers the provider signed with (v3),
// nil for v2. It returns nil once the news is durable, and also for a
// notification that can never be applied (forged, another merchant's,
// unknown order): it is logged and dropped, and changes nothing, so the
// relay does not redeliver it forever. Only a storage failure returns an
// error, so the relay delivers it again.
func (e *Engine) HandleNotification(ctx context.Context, header map[string][]string, body []byte) error {
	_, err := e.applyNotification(header, body)
	if errors.Is(err, ErrRejected) {
		e.log.Warn("notification dropped", "err", err)
		return nil
	}
	return err
}

// applyNotification is HandleNotification reporting rejections as errors
// wrapping ErrRejected.
func (e *Engine) applyNotification(header map[string][]string, body []byte) (Order, error) {
	ev, err := e.cfg.Payments.ParseEvent(header, body)
	if err != nil {
		if !errors.Is(err, ErrRejected) {
			err = fmt.Errorf("%w: %w", ErrRejected, err)
		}
		return Order{}, err
	}
	if ev.Refund != nil {
		return e.applyRefundEvent(*ev.Refund)
	}
	n := ev.Payment
	if n == nil || (n.State != PayPaid && n.State != PayRefunded) {
		return Order{}, fmt.Errorf("%w: notification without a payment", ErrRejected)
	}
	if _, err := e.cfg.Orders.Get(n.OutTradeNo); errors.Is(err, ErrNotFound) {
		return Order{}, fmt.Errorf("%w: notification for unknown order %s", ErrRejected, n.OutTradeNo)
	} else if err != nil {
		return Order{}, err
	}
	o, _, err := e.confirm(Confirmation{OutTradeNo: n.OutTradeNo, TransactionID: n.TransactionID,
		TotalFee: n.Total, TimeEnd: n.PaidAt, OpenID: n.Payer, Source: SourceNotification})
	return o, err
}

// confirm applies a verified confirmation in one transaction, then tells the
// screens, wakes the order's watcher and prints the receipt of a new sale.
func (e *Engine) confirm(c Confirmation) (Order, ConfirmOutcome, error) {
	o, out, err := e.cfg.Orders.Confirm(c, e.clock.Now())
	if err != nil {
		return o, out, fmt.Errorf("confirm %s: %w", c.OutTradeNo, err)
	}
	switch out {
	case Confirmed, ConfirmedAfterCancel:
		e.log.Info("paid", "out_trade_no", o.OutTradeNo, "total", o.Total, "source", c.Source, "outcome", out)
		if e.cfg.Announce != nil {
			e.cfg.Announce(o.Total)
		}
		e.printReceipt(o, false)
	case AmountMismatch, ConflictingPayment, NumberCollision:
		e.log.Error("payment alert", "out_trade_no", o.OutTradeNo, "outcome", out, "reported", c.TotalFee, "total", o.Total)
	}
	if out.Changed() {
		oc := o
		e.publish(Update{Order: &oc, Deadline: e.deadline(o), PaidWhileAway: out == Confirmed && c.Source == SourceStartup})
	}
	e.mu.Lock()
	w := e.watchers[o.OutTradeNo]
	e.mu.Unlock()
	if w != nil && !o.State.Open() {
		select {
		case w <- struct{}{}:
		default:
		}
	}
	return o, out, nil
}

// nativeCallbackBudget bounds the work for one mode-1 callback: WeChat
// waits only a few seconds for the reply.
const nativeCallbackBudget = 3 * time.Second

// HandleNativeCallback answers a Native mode-1 callback forwarded by the
// relay: the scanned product becomes a new order, its unified order's
// prepay_id goes back in a signed reply. Anything wrong gives a signed FAIL
// reply whose message WeChat shows the customer.
func (e *Engine) HandleNativeCallback(ctx context.Context, body []byte) []byte {
	ctx, cancel := context.WithTimeout(ctx, nativeCallbackBudget)
	defer cancel()
	shelf := e.cfg.ShelfQR
	if shelf == nil {
		e.log.Warn("mode-1 callback refused: the payment API has no shelf QR")
		return nil
	}
	fail := func(msg string, err error) []byte {
		e.log.Warn("mode-1 callback refused", "err", err)
		return shelf.ScanFail(msg)
	}
	scan, err := shelf.ParseScan(body)
	if err != nil {
		return fail("请求无效", err)
	}
	e.mu.Lock()
	ready := e.ready
	e.mu.Unlock()
	if !ready {
		return fail("系统繁忙，请稍后再试", ErrNotReady)
	}
	p, err := e.cfg.Catalog.ProductByQRID(scan.ProductID)
	if err != nil || !p.Active {
		return fail("商品已下架", fmt.Errorf("product_id %q: %v", scan.ProductID, err))
	}
	now := e.clock.Now()
	no, err := e.cfg.Orders.NextOutTradeNo(e.cfg.KioskID, now)
	if err != nil {
		return fail("系统繁忙，请稍后再试", err)
	}
	lines := []Line{{ProductID: p.ID, Name: p.Name, UnitPrice: p.Price, Qty: 1}}
	o := Order{
		OutTradeNo: no, KioskID: e.cfg.KioskID, Lines: lines, Total: p.Price,
		Body: orderBody(e.cfg.Shop, lines), ProductID: scan.ProductID, Mode: 1,
		State: StateCreated, CreatedAt: now,
		TimeStart: now.Truncate(time.Second), TimeExpire: now.Truncate(time.Second).Add(e.cfg.QRLifetime),
		NotifyURL: e.cfg.NotifyURL, PayerOpenID: scan.OpenID,
	}
	o.Note(SourceUnifiedOrder, now, "mode-1 scan of product "+scan.ProductID)
	if err := e.cfg.Orders.Create(o); err != nil {
		return fail("系统繁忙，请稍后再试", err)
	}
	o, err = e.place(ctx, no, scan.OpenID)
	if err != nil || o.PrepayID == "" {
		return fail("系统繁忙，请稍后再试", fmt.Errorf("unified order %s: %v", no, err))
	}
	return shelf.ScanReply(o.PrepayID)
}

// printReceipt queues an order's receipt. A printer failure is logged and
// shown in the status; it never affects the sale.
func (e *Engine) printReceipt(o Order, reprint bool) (string, error) {
	if e.cfg.Printer == nil {
		return "", errors.New("no printer configured")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	id, err := e.cfg.Printer.Print(ctx, Paper{Kind: PaperReceipt, Shop: e.cfg.Shop, KioskID: e.cfg.KioskID,
		Order: o, QR: o.OutTradeNo, Reprint: reprint})
	if err != nil {
		e.log.Warn("receipt not printed", "out_trade_no", o.OutTradeNo, "err", err)
		e.publish(Update{Err: fmt.Errorf("receipt for %s: %w", o.OutTradeNo, err)})
	}
	return id, err
}

// Reprint prints a paid order's receipt again, marked as a copy.
func (e *Engine) Reprint(ctx context.Context, outTradeNo string) (string, error) {
	o, err := e.cfg.Orders.Get(outTradeNo)
	if err != nil {
		return "", err
	}
	if !o.State.Paid() {
		return "", fmt.Errorf("order %s: %w", outTradeNo, ErrNotPaid)
	}
	return e.printReceipt(o, true)
}

// PrintBill prints the payment QR on a slip for a customer who pays at the
// table, with its expiry time.
func (e *Engine) PrintBill(ctx context.Context, outTradeNo string) (string, error) {
	o, err := e.cfg.Orders.Get(outTradeNo)
	if err != nil {
		return "", err
	}
	if o.State != StateAwaiting || o.CodeURL == "" {
		return "", fmt.Errorf("order %s (%s): %w", outTradeNo, o.State, ErrNoQR)
	}
	if e.cfg.Printer == nil {
		return "", errors.New("no printer configured")
	}
	return e.cfg.Printer.Print(ctx, Paper{Kind: PaperBill, Shop: e.cfg.Shop, KioskID: e.cfg.KioskID, Order: o, QR: o.CodeURL})
}

// RetryPrint sends failed print jobs again.
func (e *Engine) RetryPrint(ctx context.Context) error {
	if e.cfg.RetryPrints == nil {
		return nil
	}
	err := e.cfg.RetryPrints(ctx)
	e.publish(Update{})
	return err
}

// PrintLabel prints a product's Native mode-1 QR label: the signed
// bizpayurl shortened through WeChat's short-URL API so it scans well on
// paper.
func (e *Engine) PrintLabel(ctx context.Context, productID string) (string, error) {
	p, err := e.cfg.Catalog.Product(productID)
	if err != nil {
		return "", err
	}
	if p.QRID == "" {
		return "", fmt.Errorf("product %s has no QR id", productID)
	}
	if e.cfg.ShelfQR == nil {
		return "", fmt.Errorf("product labels: %w", ErrPayUnsupported)
	}
	short, err := e.cfg.ShelfQR.ProductQR(ctx, p.QRID, e.clock.Now())
	if err != nil {
		return "", fmt.Errorf("short link for %s: %w", productID, err)
	}
	if e.cfg.Printer == nil {
		return "", errors.New("no printer configured")
	}
	return e.cfg.Printer.Print(ctx, Paper{Kind: PaperLabel, Shop: e.cfg.Shop, KioskID: e.cfg.KioskID, Product: p, QR: short})
}

func truncate(s string, n int) string {
	for len(s) > n {
		r := []rune(s)
		s = string(r[:len(r)-1])
	}
	return s
}

// LastPaid is the newest paid order of the last week, from the ledger (so
// "reprint the last receipt" works after a restart too).
func (e *Engine) LastPaid() (Order, bool) {
	if e.cfg.Reports == nil {
		return Order{}, false
	}
	today := BusinessDay(e.clock.Now(), 0, ShopLocation())
	orders, err := e.cfg.Reports.DayOrders(today.Add(-7), today.Add(1))
	if err != nil {
		return Order{}, false
	}
	var last Order
	for _, o := range orders {
		if o.State.Paid() && o.PaidAt.After(last.PaidAt) {
			last = o
		}
	}
	return last, last.OutTradeNo != ""
}

// Package store is Saoma's ledger: one bbolt file on the kiosk that holds
// the catalog, the settings and every order with its whole history, and
// answers the owner's questions about business days.
//
// The store implements app.Orders, app.Catalog and app.Reports. The order
// state machine lives in package app; the store makes it atomic and durable:
// every state change (Update, Confirm, AddRefund, SetRefundState) loads the
// order, runs app's logic on it and saves the result together with every
// index it touches in ONE bbolt read-write transaction, which is fsync'd
// before the call returns. A paid sale acknowledged to a caller is therefore
// on disk, and it appears exactly once in the day index.
//
// # Layout
//
// Buckets, with keys that sort the way they are queried:
//
//	meta      schema version, day boundary and time zone of the day index
//	products  product id → JSON app.Product
//	qrids     mode-1 QR id → product id
//	settings  key → value (plain strings)
//	seq       kiosk id + "/" + yyyymmdd → big-endian counter for out_trade_no
//	orders    out_trade_no → JSON app.Order (with refunds and events)
//	open      created-at (big-endian ns) + out_trade_no → nothing
//	flagged   created-at (big-endian ns) + out_trade_no → nothing
//	days      yyyymmdd + sale time (big-endian ns) + out_trade_no → JSON row
//	refunddays yyyymmdd + time asked (big-endian ns) + out_refund_no →
//	          JSON {out_trade_no, amount, refund state}
//
// The days bucket indexes every order whose outcome matters to the owner
// (paid or refunded, closed, expired, flagged) under its business day: the
// day of payment for paid orders, the day of creation otherwise. Its value
// is a small summary row (state, flag, total, refunded (succeeded), refund
// pending, transaction id, lines), so a day's report or export never reads
// order histories and never scans other days.
//
// The refunddays bucket indexes every refund that has not failed under the
// business day it was asked for (Refund.CreatedAt), so reports count a
// refund on its own day, not the sale's: money returned once WeChat reports
// it succeeded, pending (shown apart, not subtracted from net) until then.
// Both indexes are written in the same transaction as the order.
//
// # Versions
//
// The schema version lives in the meta bucket. A file written before
// versioning (version 0: orders and products but no meta and no indexes) is
// migrated on Open by building its indexes; a file from a newer Saoma is
// refused with ErrSchemaTooNew. Any older version has its order indexes
// rebuilt from the orders on Open (version 2 → 3 adds refunddays); a
// read-only Open of an older file fails with ErrNeedsUpgrade. Opening with a
// different day boundary or time zone than the index was built with rebuilds
// the day indexes.
//
// # Temporary files
//
// BackupFile and the export command write through a temporary file in the
// target's directory (".NAME.tmp" and digits) and rename it; on any error it
// is removed. A killed process can leave one behind: CleanTemp removes
// exactly those names and nothing else.
//
// # Backup and restore
//
// Store.Backup and Store.BackupFile copy a consistent snapshot of the ledger
// while the kiosk keeps selling (a bbolt read transaction; writers are not
// blocked). To restore:
//
//  1. Stop the kiosk (the ledger file is locked while it runs).
//  2. Keep the damaged file aside: mv DIR/ledger.db DIR/ledger.db.broken
//  3. Copy the backup over the ledger file: cp BACKUP DIR/ledger.db
//  4. Start the kiosk. It reopens the file, and any order that was still
//     open is settled with WeChat Pay at start-up, as after any restart.
//
// Sales made after the backup was taken are not in it; WeChat Pay's trade
// bill for those days is the record to reconcile against.
package store

// Package app is Saoma's domain and application core: products, carts,
// orders and their state machine, sales reports, the checkout engine and the
// configuration. It knows nothing of Fyne or bbolt; it declares the small
// interfaces it needs (orders store, payments, printer, clock) and main.go
// wires adapters into them.
package app

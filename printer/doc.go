// Package printer prints the kiosk's papers — sale receipts, bills with a
// payment QR and product QR labels — on cheap 58 mm and 80 mm ESC/POS
// thermal printers, and draws the same layout as PNG previews.
//
// The pieces, from the inside out:
//
//   - Layout builds a printer-independent Doc (lines of text with
//     align/bold/scale, rules, two-column rows, QR blocks, feeds, cuts) for an
//     app.Paper at a paper Profile's column count.
//   - Encode turns a Doc into ESC/POS bytes with our own encoder (GBK text in
//     Chinese mode, native GS ( k QR or a GS v 0 raster fallback).
//   - Render draws a Doc into an image at the paper's dot width with the
//     bundled CJK font and real QR bitmaps.
//   - Outputs deliver bytes: raw TCP 9100, a device file, CUPS raw via lp.
//     A TCP printer confirms every job itself (DLE EOT status before, GS r
//     after) and reports paper end, paper near end, cover open and offline;
//     the others cannot answer and say so (Output.Confirms).
//   - Queue implements app.Printer: Print enqueues and returns at once; one
//     worker prints; failed jobs stay retryable. A dead printer never blocks
//     or loses a sale. Status gives the status bar one word per problem
//     (Problem).
//   - PNG previews are private (0600 in a 0700 folder), pruned by age and
//     size, and written for a real printer only when asked (KeepPreviews).
package printer

// Package speaker speaks the counter's payment announcement, "微信收款
// 十二点五元" ("WeChat Pay received twelve point five yuan"), the way a WeChat
// Pay counter speaker does.
//
// It has three layers, each usable on its own:
//
//   - Words and EnglishWords read an amount of fen the way it is said
//     aloud; Clips gives the same reading as the sequence of voice clips.
//   - Render strings the embedded clips (espeak-ng output, see
//     clips/README.md) into 16 kHz mono PCM, and WriteWAV saves it.
//   - Announcer plays announcements in the background through a Player
//     (OpenDevice: the sound card through oto), never blocking the caller
//     and turning into a no-op, with one log line, on a machine without a
//     sound device.
//
// Amounts are int64 fen (1 yuan = 100 fen), as everywhere in Saoma; the
// package imports nothing else of ours.
package speaker

//go:build ci || !(cgo || windows || darwin)

package speaker

import "context"

// OpenDevice would open the sound card; this build has no audio output
// (the ci tag, or Linux without cgo), so it returns ErrNoAudio and an
// Announcer using it stays silent.
func OpenDevice(context.Context) (Player, error) {
	return nil, ErrNoAudio
}

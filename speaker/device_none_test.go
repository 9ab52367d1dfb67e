//go:build ci || !(cgo || windows || darwin)

package speaker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestABuildWithoutAudioHasNoDevice(t *testing.T) {
	if _, err := OpenDevice(context.Background()); !errors.Is(err, ErrNoAudio) {
		t.Errorf("OpenDevice error = %v, want ErrNoAudio", err)
	}
	var log bytes.Buffer
	a := New(Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	a.Announce(1250)
	a.Close()
	if got := strings.Count(log.String(), "level=WARN"); got != 1 {
		t.Errorf("log = %q, want one warning", log.String())
	}
}

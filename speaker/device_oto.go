//go:build !ci && (cgo || windows || darwin)

package speaker

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/ebitengine/oto/v3"
)

// Timing of the oto player.
const (
	// pollEvery is how often Play checks whether oto has finished; oto
	// has no completion callback.
	pollEvery = 20 * time.Millisecond
	// stallSlack is how long past its length Play waits for a sound
	// before calling the device stalled.
	stallSlack = 2 * time.Second
	// deviceBuffer is oto's buffer: short, for a prompt announcement.
	deviceBuffer = 100 * time.Millisecond
)

// errStalled is returned by Play when the device stops taking samples.
var errStalled = errors.New("speaker: sound device stalled")

// otoPlayer plays through the default sound device (ALSA on Linux,
// WASAPI on Windows, Core Audio on macOS).
type otoPlayer struct {
	ctx *oto.Context
}

// OpenDevice opens the default sound device at SampleRate, mono 16-bit,
// waiting for it at most until ctx is done. oto allows one device per
// process, so call it once (an Announcer calls it for you); a second
// call fails.
func OpenDevice(ctx context.Context) (Player, error) {
	c, ready, err := oto.NewContext(&oto.NewContextOptions{
		SampleRate:   SampleRate,
		ChannelCount: 1,
		Format:       oto.FormatSignedInt16LE,
		BufferSize:   deviceBuffer,
	})
	if err != nil {
		return nil, fmt.Errorf("open sound device: %w", err)
	}
	select {
	case <-ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("open sound device: %w", ctx.Err())
	}
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("open sound device: %w", err)
	}
	return &otoPlayer{ctx: c}, nil
}

// Play plays pcm and waits until oto has taken all of it (the device's
// own short buffer may still be sounding), ctx is done, or the device
// stalls.
func (p *otoPlayer) Play(ctx context.Context, pcm []int16) error {
	b := make([]byte, 2*len(pcm))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	pl := p.ctx.NewPlayer(bytes.NewReader(b))
	pl.Play()

	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	stall := time.NewTimer(Duration(pcm) + stallSlack)
	defer stall.Stop()
	for pl.IsPlaying() {
		select {
		case <-ctx.Done():
			pl.Pause()
			return ctx.Err()
		case <-stall.C:
			pl.Pause()
			return errStalled
		case <-tick.C:
		}
	}
	if err := pl.Err(); err != nil {
		return fmt.Errorf("play: %w", err)
	}
	if err := p.ctx.Err(); err != nil {
		return fmt.Errorf("play: %w", err)
	}
	return nil
}

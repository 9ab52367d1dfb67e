package speaker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// fakePlayer hands each pcm it is asked to play to the test on started,
// then plays until the test sends on release (or the Announcer closes).
type fakePlayer struct {
	started chan []int16
	release chan struct{}
	calls   atomic.Int32
}

var _ Player = (*fakePlayer)(nil)

func newFakePlayer() *fakePlayer {
	return &fakePlayer{started: make(chan []int16), release: make(chan struct{})}
}

func (f *fakePlayer) Play(ctx context.Context, pcm []int16) error {
	f.calls.Add(1)
	select {
	case f.started <- pcm:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-f.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next waits for the next announcement to start and lets it finish.
func (f *fakePlayer) next() []int16 {
	pcm := <-f.started
	f.release <- struct{}{}
	return pcm
}

// startAnnouncer starts an Announcer on f that the test closes.
func startAnnouncer(t *testing.T, f *fakePlayer, opts Options) *Announcer {
	t.Helper()
	opts.Open = func(context.Context) (Player, error) { return f, nil }
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := New(opts)
	t.Cleanup(func() { a.Close() })
	return a
}

func mustRender(t *testing.T, fen int64, lang Lang, volume int) []int16 {
	t.Helper()
	pcm, err := Render(fen, lang)
	if err != nil {
		t.Fatal(err)
	}
	scale(pcm, volume)
	return pcm
}

func TestAnnounceNeverWaitsForASlowPlayer(t *testing.T) {
	f := newFakePlayer()
	a := startAnnouncer(t, f, Options{Queue: 2})

	a.Announce(100)
	first := <-f.started // the player is now busy until released
	for _, fen := range []int64{200, 300, 400, 500, 600, 700} {
		a.Announce(fen) // would hang here if Announce waited
	}
	f.release <- struct{}{}

	// The queue held two; the rest were dropped.
	got := [][]int16{first, f.next(), f.next()}
	a.Announce(900) // queue is empty again: 900 plays next, not 400
	got = append(got, f.next())

	for i, fen := range []int64{100, 200, 300, 900} {
		if want := mustRender(t, fen, Chinese, 100); !slices.Equal(got[i], want) {
			t.Errorf("announcement %d is not %d fen", i, fen)
		}
	}
	a.Close()
	if n := f.calls.Load(); n != 4 {
		t.Errorf("player asked to play %d times, want 4", n)
	}
}

func TestQueueLengthIsClamped(t *testing.T) {
	tests := []struct {
		name  string
		queue int
		want  int
	}{
		{"zero is the default", 0, DefaultQueue},
		{"below one is one", -3, MinQueue},
		{"above four is four", 10, MaxQueue},
		{"three is three", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := startAnnouncer(t, newFakePlayer(), Options{Queue: tt.queue})
			if got := cap(a.queue); got != tt.want {
				t.Errorf("queue of %d, want %d", got, tt.want)
			}
		})
	}
}

func TestVolumeScalesTheSamples(t *testing.T) {
	tests := []struct {
		name   string
		volume int
		gain   float64
	}{
		{"full volume plays the clips as recorded", 100, 1},
		{"half volume is a quarter of the amplitude", 50, 0.25},
		{"volume ten is a hundredth", 10, 0.01},
		{"above 100 is 100", 150, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePlayer()
			a := startAnnouncer(t, f, Options{})
			a.SetVolume(tt.volume)
			a.Announce(1250)
			got := f.next()
			full := mustRender(t, 1250, Chinese, 100)
			if len(got) != len(full) {
				t.Fatalf("%d samples, want %d", len(got), len(full))
			}
			for i := range got {
				if want := int16(float64(full[i]) * tt.gain); abs(int(got[i]-want)) > 1 {
					t.Fatalf("sample %d = %d, want %d", i, got[i], want)
				}
			}
		})
	}
}

func TestSilencedAnnouncementsAreNotPlayed(t *testing.T) {
	tests := []struct {
		name            string
		silence, unmute func(*Announcer)
	}{
		{"muted", func(a *Announcer) { a.SetMuted(true) }, func(a *Announcer) { a.SetMuted(false) }},
		{"volume zero", func(a *Announcer) { a.SetVolume(0) }, func(a *Announcer) { a.SetVolume(100) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePlayer()
			a := startAnnouncer(t, f, Options{})
			tt.silence(a)
			a.Announce(100)
			tt.unmute(a)
			a.Announce(200)
			if got, want := f.next(), mustRender(t, 200, Chinese, 100); !slices.Equal(got, want) {
				t.Error("the first announcement played is not the one made after unmuting")
			}
		})
	}
}

func TestOptionsMutedStartsSilent(t *testing.T) {
	f := newFakePlayer()
	a := startAnnouncer(t, f, Options{Muted: true, Lang: English, Volume: 50})
	a.Announce(100)
	a.SetMuted(false)
	a.Announce(200)
	if got, want := f.next(), mustRender(t, 200, English, 50); !slices.Equal(got, want) {
		t.Error("the first announcement played is not 200 fen in English at volume 50")
	}
}

func TestSetLangChangesLaterAnnouncements(t *testing.T) {
	f := newFakePlayer()
	a := startAnnouncer(t, f, Options{})
	a.Announce(1250)
	zh := f.next()
	a.SetLang(English)
	a.Announce(1250)
	en := f.next()
	a.SetLang(Lang("fr"))
	a.Announce(1250)
	fr := f.next()
	if !slices.Equal(zh, mustRender(t, 1250, Chinese, 100)) || !slices.Equal(en, mustRender(t, 1250, English, 100)) {
		t.Error("announcements are not in the language set when they were made")
	}
	if !slices.Equal(fr, zh) {
		t.Error("an unknown language does not fall back to Chinese")
	}
}

func TestNoSoundDeviceLogsOnceAndAnnouncesNothing(t *testing.T) {
	var log bytes.Buffer
	var opens atomic.Int32
	a := New(Options{
		Open: func(context.Context) (Player, error) {
			opens.Add(1)
			return nil, errors.New("ALSA error at snd_pcm_open: no such device")
		},
		Logger: slog.New(slog.NewTextHandler(&log, nil)),
	})
	for fen := range int64(10) {
		a.Announce(fen)
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	a.Announce(100) // after Close: nothing, no panic

	if n := opens.Load(); n != 1 {
		t.Errorf("device opened %d times, want 1", n)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "no such device") {
		t.Errorf("log = %q, want one warning with the device error", log.String())
	}
}

func TestCloseCutsShortThePlayingAnnouncement(t *testing.T) {
	f := newFakePlayer()
	var log bytes.Buffer
	a := startAnnouncer(t, f, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	a.Announce(100)
	a.Announce(200)
	<-f.started
	a.Close() // returns although the player was never released
	a.Announce(300)
	if n := f.calls.Load(); n != 1 {
		t.Errorf("player asked to play %d times, want 1", n)
	}
	if log.Len() != 0 {
		t.Errorf("closing logged %q, want nothing", log.String())
	}
}

func TestScale(t *testing.T) {
	pcm := []int16{32767, -32768, 1000, -1000, 0}
	scale(pcm, 50)
	if want := []int16{8191, -8192, 250, -250, 0}; !slices.Equal(pcm, want) {
		t.Errorf("scale(50) = %v, want %v", pcm, want)
	}
}

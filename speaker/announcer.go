package speaker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// Player plays sound. Play plays pcm (mono, 16-bit, SampleRate) and
// returns when it has finished, or when ctx is done.
type Player interface {
	Play(ctx context.Context, pcm []int16) error
}

// ErrNoAudio is returned by OpenDevice in a build without audio output
// (the ci tag, or Linux without cgo).
var ErrNoAudio = errors.New("speaker: built without audio output")

// DefaultVolume is the volume an Announcer starts with when Options.Volume
// is zero.
const DefaultVolume = 100

// Queue lengths an Announcer accepts; announcements beyond the queue are
// dropped, never waited for.
const (
	MinQueue     = 1
	MaxQueue     = 4
	DefaultQueue = 2
)

// Options configure an Announcer. The zero value announces in Chinese at
// full volume on the sound card.
type Options struct {
	// Lang is the language of announcements; Chinese if empty or unknown.
	Lang Lang
	// Volume is 0–100, DefaultVolume if zero; to start silent set Muted.
	Volume int
	// Muted starts the Announcer muted.
	Muted bool
	// Queue is how many announcements wait while one plays, MinQueue to
	// MaxQueue (DefaultQueue if zero). A longer queue means late
	// announcements after a burst of payments; a shorter one drops them.
	Queue int
	// Open opens the player, once, on the Announcer's goroutine;
	// OpenDevice if nil.
	Open func(context.Context) (Player, error)
	// Logger gets one warning if the player cannot be opened and one per
	// failed announcement; slog.Default() if nil.
	Logger *slog.Logger
}

// Announcer speaks payment announcements one after another on its own
// goroutine. Announce never blocks; if the sound device cannot be opened
// the Announcer logs it once and every announcement is a no-op. Its
// methods are safe for concurrent use.
type Announcer struct {
	log    *slog.Logger
	open   func(context.Context) (Player, error)
	queue  chan announcement
	ctx    context.Context // done when Close is called
	cancel context.CancelFunc
	done   chan struct{} // closed when the goroutine has returned

	mu     sync.Mutex
	lang   Lang
	volume int
	muted  bool
}

// announcement is one queued request, with the settings of the moment it
// was made.
type announcement struct {
	fen    int64
	lang   Lang
	volume int
}

// New starts an Announcer; Close stops it. It opens the player in the
// background, so New itself never waits for the sound device.
func New(opts Options) *Announcer {
	q := opts.Queue
	if q == 0 {
		q = DefaultQueue
	}
	q = min(max(q, MinQueue), MaxQueue)
	a := &Announcer{
		log:   opts.Logger,
		open:  opts.Open,
		queue: make(chan announcement, q),
		done:  make(chan struct{}),
		muted: opts.Muted,
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.open == nil {
		a.open = OpenDevice
	}
	a.setLang(opts.Lang)
	if opts.Volume == 0 {
		opts.Volume = DefaultVolume
	}
	a.SetVolume(opts.Volume)
	a.ctx, a.cancel = context.WithCancel(context.Background())
	go a.run()
	return a
}

// Announce queues the announcement of fen received, in the language and
// at the volume set now. It never blocks: when muted, closed or the queue
// is full it does nothing.
func (a *Announcer) Announce(fen int64) {
	a.mu.Lock()
	req := announcement{fen: fen, lang: a.lang, volume: a.volume}
	muted := a.muted || a.volume == 0
	a.mu.Unlock()
	if muted || a.ctx.Err() != nil {
		return
	}
	select {
	case a.queue <- req:
	default:
		a.log.Debug("speaker: announcement dropped, queue full", "fen", fen)
	}
}

// SetVolume sets the volume, 0 (silent) to 100 (the clips as recorded),
// for announcements made from now on; values outside are clamped.
func (a *Announcer) SetVolume(v int) {
	a.mu.Lock()
	a.volume = min(max(v, 0), 100)
	a.mu.Unlock()
}

// SetMuted mutes or unmutes the Announcer. Muting also silences
// announcements already queued (the one playing finishes); unmuting does
// not bring back those made while muted.
func (a *Announcer) SetMuted(m bool) {
	a.mu.Lock()
	a.muted = m
	a.mu.Unlock()
}

// SetLang sets the language of announcements made from now on; Chinese for
// anything but English.
func (a *Announcer) SetLang(l Lang) {
	a.mu.Lock()
	a.setLang(l)
	a.mu.Unlock()
}

func (a *Announcer) setLang(l Lang) {
	if l != English {
		l = Chinese
	}
	a.lang = l
}

// Close stops the Announcer, cutting short the announcement playing and
// dropping those queued, and waits for its goroutine. Announce after
// Close does nothing. It always returns nil.
func (a *Announcer) Close() error {
	a.cancel()
	<-a.done
	return nil
}

// run opens the player and plays queued announcements until Close.
func (a *Announcer) run() {
	defer close(a.done)
	p, err := a.open(a.ctx)
	if err != nil {
		if !errors.Is(err, context.Canceled) { // not just closed while opening
			a.log.Warn("speaker: no sound, payment announcements are off", "err", err)
		}
		p = nil
	}
	for {
		select {
		case <-a.ctx.Done():
			return
		case req := <-a.queue:
			if p != nil && a.ctx.Err() == nil { // select picks at random once closed
				a.play(p, req)
			}
		}
	}
}

// play renders and plays one announcement unless muted since it was made.
func (a *Announcer) play(p Player, req announcement) {
	a.mu.Lock()
	muted := a.muted
	a.mu.Unlock()
	if muted {
		return
	}
	pcm, err := Render(req.fen, req.lang)
	if err != nil {
		a.log.Error("speaker: render announcement", "fen", req.fen, "err", err)
		return
	}
	scale(pcm, req.volume)
	if err := p.Play(a.ctx, pcm); err != nil && a.ctx.Err() == nil {
		a.log.Warn("speaker: play announcement", "fen", req.fen, "err", err)
	}
}

// scale applies volume 0–100 to pcm in place. The gain is (volume/100)²,
// closer to how loudness is heard than a straight line: 50 is about
// −12 dB.
func scale(pcm []int16, volume int) {
	if volume >= 100 {
		return
	}
	g := int32(volume * volume)
	for i, s := range pcm {
		pcm[i] = int16(int32(s) * g / 10000)
	}
}

package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"saoma/app"
)

// Config chooses the printer and the paper.
type Config struct {
	// Kind is the output: "tcp" (raw port 9100), "device" (/dev/usb/lp0),
	// "cups" (lp -o raw), "png" (previews only, written to PreviewDir) or
	// "none" (jobs complete without printing). Empty means "none".
	Kind string
	// Address is host:port for "tcp"; the port defaults to 9100.
	Address string
	// Device is the device file for "device", e.g. /dev/usb/lp0.
	Device string
	// CUPSQueue is the CUPS queue for "cups"; it must accept raw jobs.
	CUPSQueue string
	// WindowsPrinter is the printer's name for "windows" (the Windows
	// print spooler, RAW jobs).
	WindowsPrinter string
	// LPCommand is the lp executable for "cups"; "lp" from PATH if empty.
	LPCommand string
	// Paper is the paper width in mm, 58 or 80 (the default).
	Paper int
	// WidthDots overrides the printable width in dots (e.g. 512 for an
	// 80 mm Epson at 180 dpi); 0 uses the paper's standard width.
	WidthDots int
	// RasterQR prints QR codes as GS v 0 bitmaps for printers without a QR
	// generator. The zero value uses the printer's native GS ( k, which is
	// faster and sharper; turn this on when QR codes come out as garbage.
	RasterQR bool
	// KickDrawer opens the cash drawer after each receipt.
	KickDrawer bool
	// NoConfirm stops asking a "tcp" printer to confirm each job (see
	// TCP.NoConfirm). The zero value confirms: a job is done only when the
	// printer says it processed it, and paper out, cover open and offline
	// are reported. Turn it on only for a printer that answers no status
	// request; a job then counts as printed once the network took it,
	// even if no paper came out.
	NoConfirm bool
	// CheckPaper, with NoConfirm, still asks a "tcp" printer its status
	// before each job (see TCP.CheckPaper).
	CheckPaper bool
	// StatusTimeout bounds each wait for a "tcp" printer's status answer;
	// 3 s if 0.
	StatusTimeout time.Duration
	// PreviewDir receives one PNG per job named <job id>.png, in a folder
	// only the kiosk's user can read (0700, files 0600): receipts name
	// what a customer bought. Required for "png"; for the other kinds
	// previews are written only with KeepPreviews. Old previews are
	// pruned at start and after each new one (PreviewMaxAge,
	// PreviewMaxBytes), whatever the kind.
	PreviewDir string
	// KeepPreviews writes previews for a real printer ("tcp", "device",
	// "cups") or "none" too. Off by default: the paper is the record, and
	// every kept preview is a customer's purchase on disk.
	KeepPreviews bool
	// PreviewMaxAge is how long previews are kept; 30 days if 0, forever
	// if negative.
	PreviewMaxAge time.Duration
	// PreviewMaxBytes caps the previews' total size, the oldest deleted
	// first; 256 MiB if 0, no cap if negative.
	PreviewMaxBytes int64
	// Timeout bounds one delivery attempt; 10 s if 0. A dead printer
	// fails the job after this long and the queue moves on. For "tcp" it
	// runs until the printer confirms the job, so it must cover printing
	// the longest paper.
	Timeout time.Duration
	// QueueSize is how many jobs may wait; 32 if 0. Print fails with
	// ErrQueueFull beyond it rather than block the sale.
	QueueSize int
	// Now is the clock for job times and preview ages; time.Now if nil.
	Now func() time.Time
	// After is the clock for a "tcp" printer's deadlines (Timeout,
	// StatusTimeout); time.After if nil. Tests inject one.
	After func(time.Duration) <-chan time.Time
	// OnChange is called after every job state change — from the worker,
	// or from the goroutine calling Print, Retry or Close — never with a
	// lock held; it must not block for long.
	// The UI uses it to refresh the job list.
	OnChange func(Job)
}

// JobState is where a print job is.
type JobState string

// The job states. Failed jobs stay in the list and can be retried.
const (
	JobQueued   JobState = "queued"
	JobPrinting JobState = "printing"
	JobDone     JobState = "done"
	JobFailed   JobState = "failed"
)

// Job is a snapshot of one print job.
type Job struct {
	ID       string
	Paper    app.PaperKind
	Ref      string // the order's out_trade_no or the product's id
	State    JobState
	Err      error // why the last attempt failed; nil unless State is JobFailed
	Attempts int
	Created  time.Time
	Updated  time.Time
	Preview  string // path of the job's PNG preview, if one was written
	// Printer is what the printer last said about itself during this job
	// (paper, cover, offline); the zero Status when it was not asked or
	// cannot answer (see Queue.Confirms).
	Printer Status
}

// ErrQueueFull is returned by Print and Retry when QueueSize jobs are
// already waiting; the sale is unaffected, the paper can be printed later.
var ErrQueueFull = errors.New("print queue full")

// ErrClosed is returned by a Queue after Close, and is the error of jobs
// still waiting when it was closed.
var ErrClosed = errors.New("print queue closed")

// ErrUnknownJob is returned for a job id the queue does not know (never
// issued, or dropped from the bounded history).
var ErrUnknownJob = errors.New("unknown print job")

// ErrNotRetryable is returned by Retry for a job that has not failed.
var ErrNotRetryable = errors.New("print job has not failed")

// maxHistory bounds the finished jobs kept for Jobs().
const maxHistory = 200

// Queue is the kiosk's printer: it implements app.Printer with one worker
// goroutine printing jobs in order. Print never waits for the printer.
type Queue struct {
	cfg    Config
	prof   Profile
	out    Output // nil for "png" and "none"
	render *Renderer
	now    func() time.Time
	work   chan string
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	previews bool // write a PNG per job to cfg.PreviewDir

	mu     sync.Mutex
	jobs   map[string]*jobRec
	order  []string // job ids, oldest first
	seq    int
	closed bool
	last   Status // the printer's latest answer about itself
}

type jobRec struct {
	job   Job
	doc   Doc
	bytes []byte // the ESC/POS job; nil without a byte output
}

var _ app.Printer = (*Queue)(nil)

// New checks cfg, builds the output and starts the worker.
func New(cfg Config) (*Queue, error) {
	prof, err := ProfileFor(cfg.Paper, cfg.WidthDots)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout < 0 || cfg.StatusTimeout < 0 || cfg.QueueSize < 0 {
		return nil, fmt.Errorf("%w: negative timeout or queue size", ErrBadConfig)
	}
	if cfg.PreviewMaxAge == 0 {
		cfg.PreviewMaxAge = 30 * 24 * time.Hour
	}
	if cfg.PreviewMaxBytes == 0 {
		cfg.PreviewMaxBytes = 256 << 20
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = 32
	}
	var out Output
	switch cfg.Kind {
	case "tcp":
		if cfg.Address == "" {
			return nil, fmt.Errorf("%w: tcp printer needs an address (host:9100)", ErrBadConfig)
		}
		addr := cfg.Address
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr += ":9100"
		}
		out = TCP{Address: addr, Timeout: cfg.Timeout, StatusTimeout: cfg.StatusTimeout,
			NoConfirm: cfg.NoConfirm, CheckPaper: cfg.CheckPaper, After: cfg.After}
	case "device":
		if cfg.Device == "" {
			return nil, fmt.Errorf("%w: device printer needs a device path (e.g. /dev/usb/lp0)", ErrBadConfig)
		}
		out = Device{Path: cfg.Device, Timeout: cfg.Timeout}
	case "cups":
		if cfg.CUPSQueue == "" {
			return nil, fmt.Errorf("%w: cups printer needs a queue name (see lpstat -e)", ErrBadConfig)
		}
		out = CUPS{Queue: cfg.CUPSQueue, Command: cfg.LPCommand, Timeout: cfg.Timeout}
	case "windows":
		if cfg.WindowsPrinter == "" {
			return nil, fmt.Errorf("%w: windows printer needs the printer's name (Settings → Printers & scanners)", ErrBadConfig)
		}
		out = Spooler{Printer: cfg.WindowsPrinter}
	case "png":
		if cfg.PreviewDir == "" {
			return nil, fmt.Errorf("%w: png printer needs a preview directory", ErrBadConfig)
		}
	case "none", "":
	default:
		return nil, fmt.Errorf("%w: printer kind %q (want tcp, device, cups, png or none)", ErrBadConfig, cfg.Kind)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	previews := cfg.PreviewDir != "" && (cfg.Kind == "png" || cfg.KeepPreviews)
	if previews {
		if err := makePrivateDir(cfg.PreviewDir); err != nil {
			return nil, fmt.Errorf("printer: preview directory: %w", err)
		}
	}
	if cfg.PreviewDir != "" {
		// Best effort: a preview that cannot be deleted must not stop the
		// kiosk; the next prune tries again.
		_ = prunePreviews(cfg.PreviewDir, now(), cfg.PreviewMaxAge, cfg.PreviewMaxBytes)
	}
	r, err := NewRenderer()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{
		cfg: cfg, prof: prof, out: out, render: r, now: now, previews: previews,
		work: make(chan string, cfg.QueueSize), ctx: ctx, cancel: cancel,
		done: make(chan struct{}), jobs: map[string]*jobRec{},
	}
	go q.run()
	return q, nil
}

// Profile returns the paper geometry the queue prints for.
func (q *Queue) Profile() Profile { return q.prof }

// Print lays out and encodes p, queues it and returns the job id at once.
// Bad papers fail here with an error wrapping ErrBadPaper; printer trouble
// never does: it shows up later as a failed, retryable job.
func (q *Queue) Print(ctx context.Context, p app.Paper) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	doc, err := Layout(p, q.prof.Cols)
	if err != nil {
		return "", err
	}
	var data []byte
	if q.out != nil {
		if data, err = Encode(doc, q.prof, EncodeOptions{RasterQR: q.cfg.RasterQR, KickDrawer: q.cfg.KickDrawer && p.Kind == app.PaperReceipt}); err != nil {
			return "", err
		}
	}
	ref := p.Order.OutTradeNo
	if p.Kind == app.PaperLabel {
		ref = p.Product.ID
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return "", ErrClosed
	}
	q.seq++
	now := q.now()
	id := fmt.Sprintf("%s-%04d", now.In(shanghai()).Format("20060102-150405"), q.seq)
	rec := &jobRec{job: Job{ID: id, Paper: p.Kind, Ref: ref, State: JobQueued, Created: now, Updated: now}, doc: doc, bytes: data}
	select {
	case q.work <- id:
	default:
		q.mu.Unlock()
		return "", fmt.Errorf("print %s %s: %w (%d waiting)", p.Kind, ref, ErrQueueFull, q.cfg.QueueSize)
	}
	q.jobs[id] = rec
	q.order = append(q.order, id)
	q.prune()
	snap := rec.job
	q.mu.Unlock()
	q.changed(snap)
	return id, nil
}

// prune drops the oldest finished jobs beyond maxHistory; q.mu held.
func (q *Queue) prune() {
	for i := 0; len(q.order) > maxHistory && i < len(q.order); {
		id := q.order[i]
		if s := q.jobs[id].job.State; s == JobQueued || s == JobPrinting {
			i++
			continue
		}
		delete(q.jobs, id)
		q.order = append(q.order[:i], q.order[i+1:]...)
	}
}

// Retry queues a failed job again with the same bytes.
func (q *Queue) Retry(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	rec, ok := q.jobs[id]
	if !ok {
		q.mu.Unlock()
		return fmt.Errorf("retry %s: %w", id, ErrUnknownJob)
	}
	if rec.job.State != JobFailed {
		q.mu.Unlock()
		return fmt.Errorf("retry %s (%s): %w", id, rec.job.State, ErrNotRetryable)
	}
	select {
	case q.work <- id:
	default:
		q.mu.Unlock()
		return fmt.Errorf("retry %s: %w", id, ErrQueueFull)
	}
	rec.job.State, rec.job.Err, rec.job.Updated = JobQueued, nil, q.now()
	snap := rec.job
	q.mu.Unlock()
	q.changed(snap)
	return nil
}

// Jobs returns the known jobs, oldest first.
func (q *Queue) Jobs() []Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Job, 0, len(q.order))
	for _, id := range q.order {
		out = append(out, q.jobs[id].job)
	}
	return out
}

// Job returns one job, or an error wrapping ErrUnknownJob.
func (q *Queue) Job(id string) (Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	rec, ok := q.jobs[id]
	if !ok {
		return Job{}, fmt.Errorf("job %s: %w", id, ErrUnknownJob)
	}
	return rec.job, nil
}

// Preview draws p as it would print, for the UI.
func (q *Queue) Preview(p app.Paper) (image.Image, error) {
	doc, err := Layout(p, q.prof.Cols)
	if err != nil {
		return nil, err
	}
	return q.render.Render(doc, q.prof)
}

// Close stops the worker, abandoning an attempt in progress; jobs that
// were still waiting are marked failed with ErrClosed. It is idempotent.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	<-q.done
	var changed []Job
	q.mu.Lock()
	for _, id := range q.order {
		rec := q.jobs[id]
		if rec.job.State == JobQueued || rec.job.State == JobPrinting {
			rec.job.State, rec.job.Err, rec.job.Updated = JobFailed, ErrClosed, q.now()
			changed = append(changed, rec.job)
		}
	}
	q.mu.Unlock()
	for _, j := range changed {
		q.changed(j)
	}
	return nil
}

func (q *Queue) changed(j Job) {
	if q.cfg.OnChange != nil {
		q.cfg.OnChange(j)
	}
}

// run is the worker: one job at a time, in order.
func (q *Queue) run() {
	defer close(q.done)
	for {
		select {
		case <-q.ctx.Done():
			return
		case id := <-q.work:
			q.mu.Lock()
			rec, ok := q.jobs[id]
			if !ok || rec.job.State != JobQueued {
				q.mu.Unlock()
				continue
			}
			rec.job.State, rec.job.Updated = JobPrinting, q.now()
			rec.job.Attempts++
			snap, doc, data := rec.job, rec.doc, rec.bytes
			q.mu.Unlock()
			q.changed(snap)

			preview, st, err := q.deliver(snap.ID, doc, data)

			q.mu.Lock()
			rec.job.Printer = st
			if st.Known {
				q.last = st
			}
			if q.ctx.Err() != nil && err != nil {
				err = fmt.Errorf("%w: %w", ErrClosed, err)
			}
			rec.job.State, rec.job.Err, rec.job.Updated = JobDone, nil, q.now()
			if err != nil {
				rec.job.State, rec.job.Err = JobFailed, fmt.Errorf("print job %s: %w", snap.ID, err)
			}
			if preview != "" {
				rec.job.Preview = preview
			}
			snap = rec.job
			q.mu.Unlock()
			q.changed(snap)
		}
	}
}

// deliver writes the preview (if configured) and sends the bytes (if there
// is a printer). A preview that cannot be written fails a "png" job only:
// on a real printer it is a convenience, not the paper. The outputs bound
// their own time (cfg.Timeout), so a "tcp" printer has time to explain a
// missed deadline.
func (q *Queue) deliver(id string, doc Doc, data []byte) (string, Status, error) {
	var preview string
	if q.previews {
		path, err := q.writePreview(id, doc)
		if err != nil && q.cfg.Kind == "png" {
			return "", Status{}, err
		}
		if err == nil {
			preview = path
		}
		_ = prunePreviews(q.cfg.PreviewDir, q.now(), q.cfg.PreviewMaxAge, q.cfg.PreviewMaxBytes)
	}
	if q.out == nil {
		return preview, Status{}, nil
	}
	st, err := q.out.Write(q.ctx, data)
	return preview, st, err
}

// writePreview renders doc to PreviewDir/<id>.png through a temporary file,
// so the UI never sees half a PNG.
func (q *Queue) writePreview(id string, doc Doc) (string, error) {
	img, err := q.render.Render(doc, q.prof)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("printer: encode preview: %w", err)
	}
	path := filepath.Join(q.cfg.PreviewDir, id+".png")
	tmp := path + ".tmp"
	_ = os.Remove(tmp) // a leftover keeps its old mode through WriteFile
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("printer: write preview: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("printer: write preview: %w", err)
	}
	return path, nil
}

// Confirms reports whether a done job means the printer itself confirmed
// it. False for outputs that cannot answer (device files, CUPS), for a
// "tcp" printer with NoConfirm, and for "png" and "none": Settings then
// says the result cannot be confirmed ("无法确认打印结果").
func (q *Queue) Confirms() bool { return q.out != nil && q.out.Confirms() }

// PrinterState returns what the printer last said about itself (the zero
// Status if it was never asked or cannot answer).
func (q *Queue) PrinterState() Status {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.last
}

// Status summarises the queue and the printer for the status bar. It is
// not OK when the newest job failed (Detail is Problem of its error) or
// when the printer said after its last job that it cannot print (out of
// paper, cover open, offline: Detail is that word). Otherwise it is OK,
// with Detail "paper_near_end" as a warning or empty. Failed counts the
// jobs waiting for a retry.
func (q *Queue) Status() app.PrinterStatus {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := app.PrinterStatus{OK: true}
	for _, id := range q.order {
		if q.jobs[id].job.State == JobFailed {
			st.Failed++
		}
	}
	if n := len(q.order); n > 0 {
		if j := q.jobs[q.order[n-1]].job; j.State == JobFailed {
			st.OK, st.Detail = false, Problem(j.Err)
			return st
		}
	}
	if p := q.last.Problem(); p != nil {
		st.OK, st.Detail = !q.last.blocking(), Problem(p)
	}
	return st
}

// ErrCannotAsk is returned by Check when the output cannot report the
// printer's status (device files, CUPS, a "tcp" printer with NoConfirm,
// "png", "none").
var ErrCannotAsk = errors.New("printer cannot report its status")

// Check asks the printer its status now, without printing, and updates
// PrinterState and Status with the answer: call it after the cashier
// changed the roll or closed the cover, so the warning goes away before
// the next job. It waits for the printer (at most StatusTimeout once
// connected); call it off the UI goroutine.
func (q *Queue) Check(ctx context.Context) (Status, error) {
	p, ok := q.out.(Prober)
	if !ok || !q.out.Confirms() {
		return Status{}, ErrCannotAsk
	}
	st, err := p.Probe(ctx)
	if err != nil {
		return st, fmt.Errorf("printer status: %w", err)
	}
	q.mu.Lock()
	q.last = st
	q.mu.Unlock()
	return st, nil
}

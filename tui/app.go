// Package tui is the terminal face of a live session: the cluster as bins
// of pods, the pending queue, workloads, events and a describe pane, with
// keys to break things. The screen itself is drawn by package render
// (pure, tested on fixtures); this package is the thin tview layer that
// feeds it snapshots, maps keys and clicks to session commands, and
// copies the rendered cells to the terminal.
//
// Threading: tview's event loop owns every field of App but frameCost.
// The session's change feed is read by one goroutine that only queues
// refreshes (app.QueueUpdateDraw), at most FPS times a second and at
// most a quarter of the time: keys never wait behind a queue of frames.
package tui

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/tui/render"
)

// Options tune the application.
type Options struct {
	// Screen to draw on; nil opens the terminal. Tests pass a
	// tcell.SimulationScreen.
	Screen tcell.Screen
	// SaveDir is where `w` writes the session as a scenario (default ".").
	SaveDir string
	// FPS caps redraws driven by the session (default 30).
	FPS int
	// DetailEvery is how often the describe pane is refreshed while the
	// selection stays the same (default 250ms): describing reads the
	// store under the session's lock, so not on every frame.
	DetailEvery time.Duration
}

// App is the terminal UI over one session.
type App struct {
	app   *tview.Application
	sess  *live.Session
	opts  Options
	pages *tview.Pages
	board *board
	input *tview.InputField

	view *live.View
	sel  render.Selection
	// detail is the describe pane's text (or the chain of causes: why)
	// of detailOf, the selection it was asked for; it is read off the
	// event loop (readDetail), detailBusy while a read is under way,
	// detailWant when the selection changed since the last read began.
	detail     string
	detailOf   string
	detailBusy bool
	detailWant bool
	why        bool // the describe pane shows the selection's causal chain
	detailV    uint64
	detailAt   time.Time
	msg        string
	msgErr     bool
	theme      *render.Theme
	canvas     *render.Canvas
	frame      render.Frame
	modal      string // "", "help" or "scale"
	hover      string // the node under the mouse pointer
	nav        render.Nav

	// frameStart is when the refresh of a frame the session asked for
	// began (zero: the next draw is not one); frameCost is how long its
	// refresh and drawing took (wall time: on a busy machine, more), which
	// the pump waits three times over before the next.
	frameStart time.Time
	frameCost  atomic.Int64

	quit     chan struct{}
	quitOnce sync.Once
	pumpDone chan struct{}
}

// New builds the application; Run shows it. The caller owns the session
// (Start it for paced time, Close it after Run returns).
func New(sess *live.Session, opts Options) *App {
	if opts.SaveDir == "" {
		opts.SaveDir = "."
	}
	if opts.FPS <= 0 {
		opts.FPS = 30
	}
	if opts.DetailEvery <= 0 {
		opts.DetailEvery = 250 * time.Millisecond
	}
	a := &App{app: tview.NewApplication(), sess: sess, opts: opts, canvas: render.NewCanvas(0, 0),
		quit: make(chan struct{}), pumpDone: make(chan struct{})}
	a.board = newBoard(a)
	a.pages = tview.NewPages().AddPage("main", a.board, true, true)
	a.pages.AddPage("help", newCentered(newHelp(a), 76, 44), true, false)
	a.input = tview.NewInputField()
	a.pages.AddPage("scale", newCentered(a.input, 50, 3), true, false)
	if opts.Screen != nil {
		a.app.SetScreen(opts.Screen)
	}
	a.app.SetAfterDrawFunc(func(tcell.Screen) {
		if !a.frameStart.IsZero() {
			a.frameCost.Store(int64(time.Since(a.frameStart)))
			a.frameStart = time.Time{}
		}
	})
	a.app.EnableMouse(true)
	a.app.SetRoot(a.pages, true).SetFocus(a.board)
	a.app.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		if ev.Key() == tcell.KeyCtrlC {
			a.Stop()
			return nil
		}
		return ev
	})
	a.refresh()
	return a
}

// Run shows the UI until the user quits (q or ctrl-c) or Stop is called.
func (a *App) Run() error {
	feed, cancel := a.sess.Subscribe(1)
	defer cancel()
	go a.pump(feed)
	err := a.app.Run()
	a.signalQuit()
	select {
	case <-a.pumpDone:
	case <-time.After(time.Second):
	}
	return err
}

// Stop quits: the pump stops first (it may be waiting on the event loop),
// then the application.
func (a *App) Stop() {
	a.signalQuit()
	go func() {
		<-a.pumpDone
		a.app.Stop()
	}()
}

func (a *App) signalQuit() { a.quitOnce.Do(func() { close(a.quit) }) }

// pump turns the session's change feed into at most FPS refreshes a
// second: changes only mark the view dirty, a ticker redraws. A frame
// that took long (200 nodes on a loaded machine: tens of milliseconds)
// spaces the next ones, so that the event loop spends at most a quarter
// of its time on the session's frames and a key is answered at once.
func (a *App) pump(feed <-chan live.Change) {
	defer close(a.pumpDone)
	t := time.NewTicker(time.Second / time.Duration(a.opts.FPS))
	defer t.Stop()
	dirty := false
	var last time.Time
	for {
		select {
		case <-a.quit:
			return
		case _, ok := <-feed:
			if !ok {
				feed = nil
			}
			dirty = true
		case now := <-t.C:
			if !dirty || now.Sub(last) < 3*time.Duration(a.frameCost.Load()) {
				continue
			}
			dirty, last = false, now
			done := make(chan struct{})
			go func() {
				a.app.QueueUpdateDraw(func() {
					a.frameStart = time.Now()
					a.refresh()
				})
				close(done)
			}()
			select {
			case <-done:
			case <-a.quit:
				return
			}
		}
	}
}

// refresh takes the latest snapshot and keeps the selection and the
// describe pane pointing at things that exist. Event loop only.
func (a *App) refresh() {
	a.view = a.sess.Snapshot()
	if a.nav.Mode != render.ModeNodes && a.view != nil {
		a.nav.Row = max(0, min(a.nav.Row, a.nav.Rows(a.view)-1))
		a.sel = a.nav.ListSelection(a.view, a.sel)
	}
	a.sel = a.sel.Normalize(a.view)
	kind, ns, name := a.sel.Subject(a.view)
	key := kind + "/" + ns + "/" + name
	if a.why {
		key = "why " + key
	}
	if key != a.detailOf {
		a.detail, a.detailOf, a.detailWant = "", key, true
	}
	stale := a.view != nil && a.view.Version != a.detailV && time.Since(a.detailAt) >= a.opts.DetailEvery
	if (!a.detailWant && !stale) || a.detailBusy {
		return
	}
	a.detailWant, a.detailAt = false, time.Now()
	if a.view != nil {
		a.detailV = a.view.Version
	}
	if kind == "" {
		a.detail = ""
		return
	}
	a.detailBusy = true
	go a.readDetail(key, a.why, kind, ns, name)
}

// readDetail reads the selection's describe text or chain of causes off
// the event loop (both wait for the session's lock: on a busy machine the
// simulation may hold it for long, and a key must not wait for that) and
// shows it if the selection is still the same.
func (a *App) readDetail(key string, why bool, kind, ns, name string) {
	var text string
	if why {
		text = a.sess.ExplainText(kind, ns, name)
	} else {
		text = a.sess.Describe(kind, ns, name)
	}
	select {
	case <-a.quit:
		return
	default:
	}
	a.app.QueueUpdateDraw(func() {
		a.detailBusy = false
		if key == a.detailOf {
			a.detail = text
		}
		a.refresh() // the selection may have moved meanwhile
	})
}

// say sets the footer message.
func (a *App) say(msg string, err error) {
	a.msg, a.msgErr = msg, err != nil
	if err != nil {
		a.msg = msg + ": " + err.Error()
		if msg == "" {
			a.msg = err.Error()
		}
	}
}

// render draws the current state on a w x h canvas. Event loop only.
func (a *App) render(w, h, colors int) render.Frame {
	if a.theme == nil || a.theme.Colors != colors {
		a.theme = render.NewTheme(colors)
	}
	a.canvas.Reset(w, h)
	// The last frame's hits are read by clicks on this same goroutine
	// only, so the new frame reuses their buffer.
	a.frame = render.Render(a.canvas, render.Input{View: a.view, Sel: a.sel, Detail: a.detail, Why: a.why,
		Message: a.msg, MessageErr: a.msgErr, Theme: a.theme, Hover: a.hover, Nav: a.nav, Hits: a.frame.Hits})
	return a.frame
}

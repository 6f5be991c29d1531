// Package tui is the terminal face of a live session: the cluster as bins
// of pods, the pending queue, workloads, events and a describe pane, with
// keys to break things. The screen itself is drawn by package render
// (pure, tested on fixtures); this package is the thin tview layer that
// feeds it snapshots, maps keys and clicks to session commands, and
// copies the rendered cells to the terminal.
//
// Threading: tview's event loop owns every field of App. The session's
// change feed is read by one goroutine that only queues refreshes
// (app.QueueUpdateDraw), at most FPS times a second.
package tui

import (
	"sync"
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

	view     *live.View
	sel      render.Selection
	detail   string
	detailOf string
	why      bool // the describe pane shows the selection's causal chain
	detailV  uint64
	detailAt time.Time
	msg      string
	msgErr   bool
	theme    *render.Theme
	canvas   *render.Canvas
	frame    render.Frame
	modal    string // "", "help" or "scale"
	hover    string // the node under the mouse pointer
	nav      render.Nav

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
// second: changes only mark the view dirty, a ticker redraws.
func (a *App) pump(feed <-chan live.Change) {
	defer close(a.pumpDone)
	t := time.NewTicker(time.Second / time.Duration(a.opts.FPS))
	defer t.Stop()
	dirty := false
	for {
		select {
		case <-a.quit:
			return
		case _, ok := <-feed:
			if !ok {
				feed = nil
			}
			dirty = true
		case <-t.C:
			if !dirty {
				continue
			}
			dirty = false
			done := make(chan struct{})
			go func() {
				a.app.QueueUpdateDraw(a.refresh)
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
	stale := a.view != nil && a.view.Version != a.detailV && time.Since(a.detailAt) >= a.opts.DetailEvery
	if key != a.detailOf || stale {
		a.detail = ""
		switch {
		case kind != "" && a.why:
			a.detail = a.sess.ExplainText(kind, ns, name)
		case kind != "":
			a.detail = a.sess.Describe(kind, ns, name)
		}
		a.detailOf, a.detailAt = key, time.Now()
		if a.view != nil {
			a.detailV = a.view.Version
		}
	}
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
	a.frame = render.Render(a.canvas, render.Input{View: a.view, Sel: a.sel, Detail: a.detail, Why: a.why,
		Message: a.msg, MessageErr: a.msgErr, Theme: a.theme, Hover: a.hover, Nav: a.nav})
	return a.frame
}

package tui

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gdamore/tcell/v2"

	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/tui/render"
)

// key handles one key on the main screen. Event loop only.
func (a *App) key(ev *tcell.EventKey) {
	if a.nav.Prompt != 0 {
		a.promptKey(ev)
		a.refresh()
		return
	}
	if a.nav.Mode != render.ModeNodes && a.listKey(ev) {
		a.refresh()
		return
	}
	switch ev.Key() {
	case tcell.KeyTab:
		a.sel = a.sel.NextFocus(a.view, +1)
	case tcell.KeyBacktab:
		a.sel = a.sel.NextFocus(a.view, -1)
	case tcell.KeyLeft:
		a.move(-1, 0)
	case tcell.KeyRight:
		a.move(1, 0)
	case tcell.KeyUp:
		a.move(0, -1)
	case tcell.KeyDown:
		a.move(0, 1)
	case tcell.KeyPgUp:
		a.sel.Scroll = max(0, a.sel.Scroll-5)
	case tcell.KeyPgDn:
		a.sel.Scroll += 5
	case tcell.KeyEnter:
		if a.sel.Focus == render.FocusNodes {
			a.sel = a.sel.NextFocus(a.view, +1)
		}
	case tcell.KeyEscape:
		a.sel.Focus = render.FocusNodes
		a.nav.Filter = ""
	case tcell.KeyRune:
		a.rune(ev.Rune())
	}
	a.refresh()
}

// rune handles the letter keys.
func (a *App) rune(r rune) {
	s := a.sess
	switch r {
	case ' ':
		s.TogglePause()
	case '.':
		if !s.Step() {
			a.say("no more events", nil)
		}
	case '+', '=':
		s.Faster()
	case '-', '_':
		s.Slower()
	case 'h':
		a.move(-1, 0)
	case 'l':
		a.move(1, 0)
	case 'k':
		a.move(0, -1)
	case 'j':
		a.move(0, 1)
	case '[':
		a.sel.Scroll = max(0, a.sel.Scroll-5)
	case ']':
		a.sel.Scroll += 5
	case 'f':
		a.nodeCommand("fail")
	case 'r':
		a.nodeCommand("recover")
	case 'c':
		if n := a.sel.SelectedNode(a.view); n != nil && n.Unschedulable {
			a.nodeCommand("uncordon")
		} else {
			a.nodeCommand("cordon")
		}
	case 'd':
		a.nodeCommand("drain")
	case 'x':
		a.deletePod()
	case 'y':
		a.why, a.detailOf, a.sel.Scroll = !a.why, "", 0 // redo the pane now
	case 's':
		a.openScale()
	case 'e':
		a.toggleEtcd()
	case 'w':
		a.save()
	case '?':
		a.openModal("help")
	case ':':
		a.nav.Prompt, a.nav.PromptText = ':', ""
	case '/':
		a.nav.Prompt, a.nav.PromptText = '/', a.nav.Filter
	case 'q':
		a.Stop()
	}
}

// promptKey edits the `:` or `/` prompt in the footer. A filter applies
// as it is typed; a command when enter is pressed.
func (a *App) promptKey(ev *tcell.EventKey) {
	n := &a.nav
	switch ev.Key() {
	case tcell.KeyRune:
		n.PromptText += string(ev.Rune())
	case tcell.KeyBackspace, tcell.KeyBackspace2:
		if r := []rune(n.PromptText); len(r) > 0 {
			n.PromptText = string(r[:len(r)-1])
		}
	case tcell.KeyEscape:
		if n.Prompt == '/' {
			n.Filter = ""
		}
		n.Prompt = 0
		return
	case tcell.KeyEnter:
		if n.Prompt == ':' {
			next, err := n.Command(a.view, n.PromptText)
			next.Prompt = 0
			*n = next
			if err != nil {
				a.say("", err)
			} else {
				a.say("", nil)
			}
			return
		}
		n.Prompt = 0
		return
	default:
		return
	}
	if n.Prompt == '/' {
		n.Filter = n.PromptText
		n.Row = 0
	}
}

// listKey moves in a list view; it reports whether it used the key (the
// others, e.g. x or s, act on the selected row as on the nodes view).
func (a *App) listKey(ev *tcell.EventKey) bool {
	n := &a.nav
	page := max(1, a.frame.Layout.List.H-3)
	switch ev.Key() {
	case tcell.KeyUp:
		n.Row--
	case tcell.KeyDown:
		n.Row++
	case tcell.KeyPgUp:
		n.Row -= page
	case tcell.KeyPgDn:
		n.Row += page
	case tcell.KeyHome:
		n.Row = 0
	case tcell.KeyEnd:
		n.Row = n.Rows(a.view) - 1
	case tcell.KeyEnter:
		if n.Mode != render.ModeEvents {
			a.sel = n.ListSelection(a.view, a.sel)
			n.Mode = render.ModeNodes
		}
	case tcell.KeyEscape:
		if n.Filter != "" {
			n.Filter = ""
		} else {
			n.Mode = render.ModeNodes
		}
	case tcell.KeyRune:
		switch ev.Rune() {
		case 'j':
			n.Row++
		case 'k':
			n.Row--
		case 'g':
			n.Row = 0
		case 'G':
			n.Row = n.Rows(a.view) - 1
		default:
			return false
		}
	default:
		return false
	}
	n.Row = max(0, min(n.Row, n.Rows(a.view)-1))
	return true
}

func (a *App) move(dx, dy int) {
	a.sel = a.sel.Move(a.frame.Hits, dx, dy)
}

// click selects what is under a cell of the board.
func (a *App) click(x, y int) {
	if h, ok := render.HitAt(a.frame.Hits, x, y); ok {
		if h.Focus == render.FocusList {
			a.nav.Row, _ = strconv.Atoi(h.Key)
			a.refresh()
			return
		}
		a.sel = a.sel.Select(h)
		a.refresh()
	}
}

// hoverAt names the node under the pointer in the heat-map's legend.
func (a *App) hoverAt(x, y int) {
	h, ok := render.HitAt(a.frame.Hits, x, y)
	name := ""
	if ok && h.Focus == render.FocusNodes {
		name = h.Key
	}
	a.hover = name
}

// do runs a session command and reports it in the footer. At the end of
// the scenario the session stands still, so a command would seem to do
// nothing: it resumes past the scenario's duration, as space would.
func (a *App) do(what string, c live.Command) {
	ended := render.Ended(a.view)
	out, err := a.sess.Do(c)
	if out != "" && err == nil {
		what += ": " + firstLine(out)
	}
	if ended && err == nil {
		a.sess.Resume()
		what += " — running on past the scenario's end (space pauses)"
	}
	a.say(what, err)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func (a *App) nodeCommand(verb string) {
	if a.sel.Node == "" {
		a.say("no node selected", nil)
		return
	}
	a.do(verb+" "+a.sel.Node, live.Command{Verb: verb, Node: a.sel.Node})
}

func (a *App) deletePod() {
	p := a.sel.SelectedPod(a.view)
	if p == nil {
		a.say("select a pod first (tab to the pods of a node or to the pending queue)", nil)
		return
	}
	a.do("delete pod "+p.Name, live.Command{Verb: "delete-pod", Namespace: p.Namespace, Name: p.Name})
}

func (a *App) toggleEtcd() {
	for _, m := range a.view.Etcd.Members {
		if m.Name != a.sel.Member {
			continue
		}
		if m.State == "down" {
			a.do("start etcd member "+m.Name, live.Command{Verb: "etcd-start", Member: m.Name})
		} else {
			a.do("stop etcd member "+m.Name, live.Command{Verb: "etcd-stop", Member: m.Name})
		}
		return
	}
	a.say("no etcd member selected", nil)
}

func (a *App) save() {
	name := a.view.Scenario + "-session"
	p, err := a.sess.Save(a.opts.SaveDir, name)
	if err != nil {
		a.say("save", err)
		return
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	a.say("saved "+p+" (replay: kubesim run "+p+")", nil)
}

// scaleTarget is the workload `s` scales: the selected one, else the
// owner of the selected pod, else the first Deployment.
func (a *App) scaleTarget() *live.WorkloadView {
	v := a.view
	if a.sel.Focus == render.FocusWorkloads {
		return a.sel.SelectedWorkload(v)
	}
	if p := a.sel.SelectedPod(v); p != nil {
		kind, name := render.OwnerName(p.Owner)
		for i := range v.Workloads {
			if w := &v.Workloads[i]; w.Kind == kind && w.Name == name && w.Namespace == p.Namespace {
				return w
			}
		}
	}
	for i := range v.Workloads {
		if v.Workloads[i].Kind == "Deployment" {
			return &v.Workloads[i]
		}
	}
	return nil
}

// openScale asks for the replicas of the target workload.
func (a *App) openScale() {
	w := a.scaleTarget()
	if w == nil || w.Kind == "DaemonSet" {
		a.say("select a Deployment or StatefulSet to scale (a DaemonSet runs one pod per node)", nil)
		return
	}
	target := *w
	// The current value is shown selected: the first digit typed replaces
	// it (typing 14 over 6 means 14), backspace or arrows edit it instead.
	fresh := true
	a.input.SetInputCapture(func(ev *tcell.EventKey) *tcell.EventKey {
		if fresh && ev.Key() == tcell.KeyRune {
			a.input.SetText("")
		}
		if ev.Key() != tcell.KeyEnter && ev.Key() != tcell.KeyEscape {
			fresh = false
			a.input.SetFieldStyle(a.fieldStyle(false))
		}
		return ev
	})
	a.input.SetFieldStyle(a.fieldStyle(true))
	a.input.SetText(strconv.Itoa(int(w.Desired))).
		SetLabel("replicas: ").
		SetAcceptanceFunc(func(text string, _ rune) bool {
			_, err := strconv.Atoi(text)
			return text == "" || (err == nil && !strings.HasPrefix(text, "-"))
		}).
		SetDoneFunc(func(k tcell.Key) {
			a.closeModal()
			if k != tcell.KeyEnter {
				return
			}
			n, err := strconv.Atoi(a.input.GetText())
			if err != nil {
				a.say("scale", fmt.Errorf("not a number: %q", a.input.GetText()))
				return
			}
			a.do(fmt.Sprintf("scale %s/%s to %d", render.KindShort(target.Kind), target.Name, n),
				live.Command{Verb: "scale", Kind: strings.ToLower(target.Kind), Namespace: target.Namespace, Name: target.Name, Replicas: int32(n)})
			a.refresh()
		})
	a.input.SetBorder(true).SetTitle(fmt.Sprintf(" scale %s/%s (enter: apply, esc: cancel) ", render.KindShort(w.Kind), w.Name))
	a.openModal("scale")
}

// fieldStyle is the input field's style: reversed while the pre-filled
// value is still untouched (selected, to be replaced by typing).
func (a *App) fieldStyle(fresh bool) tcell.Style {
	st := tcell.StyleDefault.Background(tcell.ColorNavy).Foreground(tcell.ColorWhite)
	if fresh {
		st = st.Reverse(true)
	}
	return st
}

func (a *App) openModal(name string) {
	a.modal = name
	a.pages.ShowPage(name)
	a.pages.SendToFront(name)
	a.app.SetFocus(a.pages)
}

func (a *App) closeModal() {
	if a.modal != "" {
		a.pages.HidePage(a.modal)
	}
	a.modal = ""
	a.app.SetFocus(a.board)
}

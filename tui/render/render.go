package render

import "github.com/kubesim/kubesim/live"

// Input is everything a frame shows.
type Input struct {
	View *live.View
	Sel  Selection
	// Detail is the describe text of Sel.Subject (the caller asks the
	// session for it; the renderer never reads the cluster).
	Detail string
	// Why says Detail is the selection's causal chain (live.ExplainText)
	// rather than its describe text.
	Why bool
	// Message is the outcome of the last command, shown in the footer.
	Message    string
	MessageErr bool
	Theme      *Theme
	// Hover is the node under the mouse pointer ("" for none).
	Hover string
	// Nav is the view, filter, namespace and prompt.
	Nav Nav
	// Hits, when given, is a buffer the frame's hits are appended to
	// (the caller's previous frame's, once nothing reads them any more).
	Hits []Hit
}

// Frame is a rendered screen: the cells, the clickable regions, the
// layout, and whether the nodes collapsed into the heat-map.
type Frame struct {
	Canvas  *Canvas
	Hits    []Hit
	Layout  Layout
	Compact bool
}

// Render draws the whole screen on c, a blank canvas the size of the
// screen (NewCanvas, or Reset to reuse one).
func Render(c *Canvas, in Input) Frame {
	th := in.Theme
	if th == nil {
		th = NewTheme(256)
	}
	out := Frame{Canvas: c}
	if in.View == nil || c.W <= 0 || c.H <= 0 {
		c.Text(0, 0, c.W, "starting…", th.Base)
		return out
	}
	f := &frame{c: c, v: in.View, sel: in.Sel, th: th, owners: ownerColors(in.View, th), hover: in.Hover,
		nav: in.Nav, match: NewMatcher(in.Nav.Filter), hits: in.Hits[:0]}
	l := ComputeLayout(c.W, c.H, in.View, in.Sel)
	if in.Nav.Mode != ModeNodes {
		l = ComputeListLayout(c.W, c.H)
	}
	out.Layout = l
	f.drawHeader(l.Header)
	if in.Nav.Mode != ModeNodes {
		f.drawList(l.List, in.Nav)
	} else if l.Nodes.H >= 2 && l.Nodes.W > 0 {
		out.Compact = !f.drawNodes(l.Nodes)
	}
	c.Fill(l.SideDivider, '│', th.Border)
	f.drawEtcd(l.Etcd)
	f.drawPending(l.Pending)
	f.drawWorkloads(l.Workloads)
	f.drawDetail(l.Detail, in.Detail, in.Why)
	f.drawEvents(l.Events)
	msg, isErr := in.Message, in.MessageErr
	if msg == "" && in.View.Stopped != "" {
		msg, isErr = "the simulation stopped itself: "+in.View.Stopped, true
	}
	if msg == "" && Ended(in.View) {
		msg = "scenario ended at " + ClockText(in.View.Until) + " — space continues past its duration; fault keys run on from here"
	}
	if in.Nav.Prompt != 0 {
		f.drawPrompt(l.Footer, in.Nav)
	} else {
		f.drawFooter(l.Footer, msg, isErr)
	}
	out.Hits = f.hits
	return out
}

// Ended reports whether the session stopped at the end of its scenario
// (paused at the duration, not yet resumed past it).
func Ended(v *live.View) bool { return v != nil && v.Paused && v.Until > 0 && v.Time >= v.Until }

// HelpText is the `?` screen: every key and what the glyphs mean.
func HelpText() string {
	return `kubesim — a whole Kubernetes cluster in virtual time

Time
  space        pause / resume (at the end of a scenario: run on past it)
  .            step: run exactly the next event (pauses)
  + / -        faster / slower (×0.25 … ×1000, then as fast as possible)

Views (like k9s)
  :           jump to a view: nodes, pods, deploy, ds, sts, workloads, events;
              :ns NAME switches namespace (:ns alone: all namespaces)
  /           filter by name, or by labels (app=web, tier!=db); esc clears
  enter       in a list: select the row's pod or workload on the nodes view

Select
  tab / S-tab  next / previous panel: nodes, pods, pending, workloads, etcd
  arrows hjkl  move inside the panel
  mouse click  select what is under the pointer
  [ / ]        scroll the describe pane (pgup / pgdn too)

Break things (on the selected node, pod, workload or etcd member)
  f  fail the node (the machine dies: no heartbeats)
  r  recover the node
  c  cordon the node (again: uncordon)
  d  drain the node (kubectl drain --ignore-daemonsets)
  s  scale the workload (type the replicas, enter)
  x  delete the pod
  y  why: the describe pane shows the chain of causes that brought the
     selection to its state (each step: component, time, upstream rule)
  e  stop / start the etcd member
  w  save the session as a scenario file (replays to the same trace)
  q  quit
  ?  this help

Pods are blocks sized by their requests, coloured by their workload:
  █ Running  ▓ Running, not ready  C ContainerCreating  I Init:N/M  P Pending
  T Terminating  ! CrashLoopBackOff or another failure  +N did not fit
A node's bars are its CPU and memory requests against allocatable.
Too many nodes for boxes: a heat-map, one cell per node
  ▁▂▃▄▅▆▇█ requests  X NotReady  reversed: cordoned

Press any key to close.`
}

// Package shell is the modelled shell of a container: what `kubectl exec`
// talks to, and what runs a container's command to produce its log. It
// interprets the POSIX sh that pod commands and CKA tasks use (see
// parse.go) over a model of the container: its environment as the
// kubelet builds it (env, envFrom, Service links), its mounted files
// (configMap, secret, projected, downwardAPI, the ServiceAccount token),
// and a table of commands (Commands) — echo, cat, ls, env, hostname,
// date on the virtual clock, sleep in virtual time, ps, id, exit, ...
// Network commands (nslookup, wget, curl, nc) plug into the same table.
//
// The shell reads the cluster through a Host and never writes to it, so
// it leaves the simulation untouched; what a script writes to files stays
// in the shell's own overlay.
package shell

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubesim/kubesim/sim/kubelet/images"
	"github.com/kubesim/kubesim/sim/store"
)

// State is the cluster as a command sees it.
type State struct {
	Store *store.Store
	// Now is the virtual time.
	Now time.Time
}

// Host connects a shell to the cluster.
type Host interface {
	// Read runs fn with the cluster's current state (under the session's
	// lock in a live server: fn must not block).
	Read(fn func(st *State))
	// Sleep waits d of virtual time. An error ends the script (the stream
	// closed, the container stopped, a log's horizon reached).
	Sleep(d time.Duration) error
}

// Call is one command's invocation.
type Call struct {
	// Args is argv; Args[0] is the command's name as typed.
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Sh     *Shell
	State  *State
	// Wait is set by a command that takes virtual time (a timeout, a
	// retry): the shell sleeps it once the command returns.
	Wait time.Duration
}

// Command runs a call and returns its exit status.
type Command func(c *Call) int

// Errorf writes a message to the call's standard error.
func (c *Call) Errorf(format string, args ...any) {
	_, _ = fmt.Fprintf(c.Stderr, format, args...)
}

// Printf writes to the call's standard output.
func (c *Call) Printf(format string, args ...any) {
	_, _ = fmt.Fprintf(c.Stdout, format, args...)
}

// Pod is the shell's pod (as it was when the shell started).
func (c *Call) Pod() *corev1.Pod { return c.Sh.pod }

// Container is the container the shell runs in.
func (c *Call) Container() *corev1.Container { return c.Sh.ctr }

// Getenv is a variable's value.
func (c *Call) Getenv(name string) string { v, _ := c.Sh.vars.get(name); return v }

// ErrExit ends a script: the shell's `exit`, or a stop from the host.
var errExit = errors.New("exit")

// maxSteps bounds the commands a script may run between two waits on
// virtual time (a loop without sleep would spin forever).
const maxSteps = 100000

// maxOutput bounds what one pipeline stage or substitution may buffer.
const maxOutput = 1 << 20

// Flavor is the shell's dialect: messages differ between busybox ash,
// Debian's dash and bash.
type Flavor int

const (
	// Ash is busybox's sh (busybox, alpine and most small images).
	Ash Flavor = iota
	// Dash is Debian's /bin/sh (nginx, httpd, python, node, ...).
	Dash
	// Bash is GNU bash.
	Bash
)

// Shell is one shell process in a container.
type Shell struct {
	host   Host
	pod    *corev1.Pod
	ctr    *corev1.Container
	img    Image
	flavor Flavor
	name   string // $0: sh, bash, ...
	vars   *vars
	cwd    string
	fs     *Overlay
	status int
	steps  int
	lineNo int
	tty    bool
	main   bool // the container's own process
	picks  uint64
	// Commands is the shell's command table (Commands unless replaced).
	Commands map[string]Command
	// Token, if set, is the ServiceAccount token the container's token
	// file holds (the API server signs it).
	Token func(st *State, namespace, serviceAccount string) string
}

// Config builds a shell.
type Config struct {
	Host      Host
	Pod       *corev1.Pod
	Container string
	// Name is the shell's executable (sh, bash, ash): it selects the
	// dialect on images that have more than one.
	Name string
	// Overlay holds the container's written files; nil gives a fresh one.
	Overlay *Overlay
	Token   func(st *State, namespace, serviceAccount string) string
	// TTY: the shell's output is a terminal (kubectl exec -t).
	TTY bool
	// Main: the shell is the container's own process (kubectl attach,
	// run -i, debug -i), not one exec started beside it.
	Main bool
}

// New starts a shell in a container of a pod; the environment is built
// from the pod spec and the cluster as the kubelet builds it.
func New(cfg Config) (*Shell, error) {
	sh := &Shell{host: cfg.Host, pod: cfg.Pod, cwd: "/", fs: cfg.Overlay, Commands: Commands, Token: cfg.Token, name: cfg.Name, tty: cfg.TTY, main: cfg.Main}
	if sh.fs == nil {
		sh.fs = NewOverlay()
	}
	if sh.name == "" {
		sh.name = "sh"
	}
	sh.ctr = FindContainer(cfg.Pod, cfg.Container)
	if sh.ctr == nil {
		return nil, fmt.Errorf("container %s is not valid for pod %s", cfg.Container, cfg.Pod.Name)
	}
	sh.img = ImageOf(sh.ctr.Image)
	sh.flavor = sh.img.Flavor
	if path.Base(sh.name) == "bash" {
		sh.flavor = Bash
	}
	var env []EnvVar
	cfg.Host.Read(func(st *State) { env = Environment(st, cfg.Pod, sh.ctr, sh.img) })
	sh.vars = newVars(env)
	if sh.ctr.WorkingDir != "" {
		sh.cwd = sh.ctr.WorkingDir
	}
	sh.vars.set("PWD", sh.cwd)
	return sh, nil
}

// FindContainer finds a container, init container or ephemeral
// container of a pod by name.
func FindContainer(pod *corev1.Pod, name string) *corev1.Container {
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i]
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == name {
			c := corev1.Container(pod.Spec.EphemeralContainers[i].EphemeralContainerCommon)
			return &c
		}
	}
	return nil
}

// Status is the exit status of the last command.
func (sh *Shell) Status() int { return sh.status }

// Flavor is the shell's dialect.
func (sh *Shell) Flavor() Flavor { return sh.flavor }

// Prompt is what an interactive shell prints before each command.
func (sh *Shell) Prompt() string {
	switch sh.flavor {
	case Bash:
		return "root@" + sh.hostname() + ":" + sh.cwd + "# "
	case Dash:
		return "# "
	}
	return sh.cwd + " # "
}

func (sh *Shell) hostname() string {
	if sh.pod.Spec.Hostname != "" {
		return sh.pod.Spec.Hostname
	}
	return sh.pod.Name
}

// Run runs a script, writing to stdout and stderr; it returns the exit
// status and whether the script ran `exit` (an interactive shell ends).
func (sh *Shell) Run(script string, stdin io.Reader, stdout, stderr io.Writer) (status int, exited bool) {
	sh.lineNo++
	l, err := parse(script)
	if err != nil {
		sh.syntaxError(stderr, err)
		sh.status = 2
		return 2, false
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	err = sh.runList(l, stdin, stdout, stderr)
	if errors.Is(err, errExit) {
		return sh.status, true
	}
	if err != nil {
		return sh.status, true
	}
	return sh.status, false
}

func (sh *Shell) syntaxError(w io.Writer, err error) {
	msg := err.Error()
	switch sh.flavor {
	case Dash:
		_, _ = fmt.Fprintf(w, "%s: %d: %s\n", sh.name, sh.lineNo, strings.Replace(msg, "syntax error: unexpected", "Syntax error:", 1))
	case Bash:
		_, _ = fmt.Fprintf(w, "%s: -c: line %d: %s\n", sh.name, sh.lineNo, msg)
	default:
		_, _ = fmt.Fprintf(w, "%s: %s\n", sh.name, msg)
	}
}

func (sh *Shell) runList(l *list, in io.Reader, out, errw io.Writer) error {
	for _, n := range l.items {
		if err := sh.runNode(n, in, out, errw); err != nil {
			return err
		}
	}
	return nil
}

func (sh *Shell) runNode(n node, in io.Reader, out, errw io.Writer) error {
	sh.steps++
	if sh.steps > maxSteps {
		_, _ = fmt.Fprintf(errw, "kubesim: the script ran %d commands without waiting on the clock and was stopped\n", maxSteps)
		sh.status = 137
		return errExit
	}
	switch n := n.(type) {
	case *simpleCmd:
		return sh.runSimple(n, in, out, errw)
	case *pipeline:
		err := sh.runPipeline(n, in, out, errw)
		if n.negate {
			if sh.status == 0 {
				sh.status = 1
			} else {
				sh.status = 0
			}
		}
		return err
	case *andOr:
		if err := sh.runNode(n.first, in, out, errw); err != nil {
			return err
		}
		for i, op := range n.ops {
			if (op == "&&") != (sh.status == 0) {
				continue
			}
			if err := sh.runNode(n.rest[i], in, out, errw); err != nil {
				return err
			}
		}
		return nil
	case *whileCmd:
		status := 0
		for {
			if err := sh.runList(n.cond, in, out, errw); err != nil {
				return err
			}
			if (sh.status == 0) == n.until {
				break
			}
			if err := sh.runList(n.body, in, out, errw); err != nil {
				return err
			}
			status = sh.status
		}
		sh.status = status
		return nil
	case *forCmd:
		items := []string{}
		if n.inSet {
			for _, w := range n.items {
				f, err := sh.expandWord(w, errw)
				if err != nil {
					return err
				}
				items = append(items, f...)
			}
		}
		sh.status = 0
		for _, it := range items {
			sh.vars.set(n.name, it)
			if err := sh.runList(n.body, in, out, errw); err != nil {
				return err
			}
		}
		return nil
	case *ifCmd:
		for i, c := range n.conds {
			if err := sh.runList(c, in, out, errw); err != nil {
				return err
			}
			if sh.status == 0 {
				return sh.runList(n.thens[i], in, out, errw)
			}
		}
		sh.status = 0
		if n.els != nil {
			return sh.runList(n.els, in, out, errw)
		}
		return nil
	case *group:
		in, out, errw, closeFn, ok := sh.applyRedirects(n.redirs, in, out, errw)
		if !ok {
			return nil
		}
		defer closeFn()
		if n.subshell {
			saved, savedCwd := sh.vars.clone(), sh.cwd
			err := sh.runList(n.body, in, out, errw)
			sh.vars, sh.cwd = saved, savedCwd
			if errors.Is(err, errExit) {
				return nil
			}
			return err
		}
		return sh.runList(n.body, in, out, errw)
	}
	return nil
}

func (sh *Shell) runPipeline(p *pipeline, in io.Reader, out, errw io.Writer) error {
	cur := in
	for i, c := range p.cmds {
		if i == len(p.cmds)-1 {
			return sh.runNode(c, cur, out, errw)
		}
		var buf bytes.Buffer
		w := &limitWriter{w: &buf, n: maxOutput}
		err := sh.runNode(c, cur, w, errw)
		if err != nil && !errors.Is(err, errExit) {
			return err
		}
		cur = &buf
	}
	return nil
}

// limitWriter drops what goes beyond n bytes.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return len(p), nil
	}
	q := p
	if len(q) > l.n {
		q = q[:l.n]
	}
	l.n -= len(q)
	if _, err := l.w.Write(q); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (sh *Shell) runSimple(c *simpleCmd, in io.Reader, out, errw io.Writer) error {
	var argv []string
	for _, w := range c.words {
		f, err := sh.expandWord(w, errw)
		if err != nil {
			return err
		}
		argv = append(argv, f...)
	}
	values := make([]string, len(c.values))
	for i, v := range c.values {
		s, err := sh.expandString(v, errw)
		if err != nil {
			return err
		}
		values[i] = s
	}
	if len(argv) == 0 {
		for i, name := range c.assigns {
			sh.vars.set(name, values[i])
		}
		sh.status = 0
		if len(c.redirs) > 0 {
			_, _, _, closeFn, ok := sh.applyRedirects(c.redirs, in, out, errw)
			if ok {
				closeFn()
			}
		}
		return nil
	}
	in, out, errw, closeFn, ok := sh.applyRedirects(c.redirs, in, out, errw)
	if !ok {
		sh.status = 1
		return nil
	}
	defer closeFn()
	var restore func()
	if len(c.assigns) > 0 {
		saved := sh.vars.clone()
		for i, name := range c.assigns {
			sh.vars.set(name, values[i])
			sh.vars.export(name)
		}
		restore = func() { sh.vars = saved }
	}
	err := sh.exec(argv, in, out, errw)
	if restore != nil {
		restore()
	}
	return err
}

// exec runs one command: a builtin, or a command of the table if the
// image has it.
func (sh *Shell) exec(argv []string, in io.Reader, out, errw io.Writer) error {
	name := argv[0]
	switch name {
	case "exit":
		if len(argv) > 1 {
			n, err := strconv.Atoi(argv[1])
			if err != nil {
				sh.notNumber(errw, "exit", argv[1])
				sh.status = 2
			} else {
				sh.status = n & 0xff
			}
		}
		return errExit
	case "cd":
		dir := "/root"
		if len(argv) > 1 {
			dir = argv[1]
		}
		p := sh.abs(dir)
		var isDir bool
		sh.host.Read(func(st *State) { isDir = sh.fsView(st).isDir(p) })
		if !isDir {
			sh.cdError(errw, dir)
			sh.status = 2
			if sh.flavor != Dash {
				sh.status = 1
			}
			return nil
		}
		sh.cwd = p
		sh.vars.set("PWD", p)
		sh.status = 0
		return nil
	case "export":
		for _, a := range argv[1:] {
			n, v, ok := strings.Cut(a, "=")
			if ok {
				sh.vars.set(n, v)
			}
			sh.vars.export(n)
		}
		sh.status = 0
		return nil
	case "unset":
		for _, a := range argv[1:] {
			sh.vars.unset(a)
		}
		sh.status = 0
		return nil
	case "sleep":
		return sh.sleep(argv, errw)
	case "exec":
		if len(argv) == 1 {
			sh.status = 0
			return nil
		}
		if err := sh.exec(argv[1:], in, out, errw); err != nil {
			return err
		}
		return errExit
	}
	if isShell(path.Base(name)) && sh.img.Has(path.Base(name)) {
		return sh.subShell(argv, in, out, errw)
	}
	cmd, ok := sh.lookup(name)
	if !ok {
		sh.notFound(errw, name)
		sh.status = 127
		return nil
	}
	// A command runs under the host's lock: it reads a live stdin before
	// and delivers its output after.
	if _, inMemory := in.(interface{ Len() int }); !inMemory && readsStdin(argv) {
		b, _ := io.ReadAll(io.LimitReader(in, maxOutput))
		in = bytes.NewReader(b)
	} else if !inMemory {
		in = strings.NewReader("")
	}
	var ob, eb bytes.Buffer
	call := &Call{Args: argv, Stdin: in, Stdout: &limitWriter{w: &ob, n: maxOutput}, Stderr: &limitWriter{w: &eb, n: maxOutput}, Sh: sh}
	sh.host.Read(func(st *State) {
		call.State = st
		sh.status = cmd(call)
		call.State = nil
	})
	if ob.Len() > 0 {
		if _, err := out.Write(ob.Bytes()); err != nil {
			return errExit
		}
	}
	if eb.Len() > 0 {
		_, _ = errw.Write(eb.Bytes())
	}
	if call.Wait > 0 {
		if err := sh.host.Sleep(call.Wait); err != nil {
			return err
		}
		sh.steps = 0
	}
	return nil
}

// lookup finds a command the image has.
func (sh *Shell) lookup(name string) (Command, bool) {
	base := path.Base(name)
	if strings.Contains(name, "/") && !sh.img.hasPath(name) {
		return nil, false
	}
	if !sh.img.Has(base) {
		return nil, false
	}
	cmd, ok := sh.Commands[base]
	if !ok {
		cmd = appCommand
	}
	return cmd, true
}

func (sh *Shell) sleep(argv []string, errw io.Writer) error {
	if len(argv) < 2 {
		_, _ = fmt.Fprintln(errw, "sleep: missing operand")
		sh.status = 1
		return nil
	}
	var total time.Duration
	for _, a := range argv[1:] {
		if a == "infinity" || a == "inf" {
			total = 1<<62 - 1
			break
		}
		d, ok := images.ParseSleep(a)
		if !ok {
			_, _ = fmt.Fprintf(errw, "sleep: invalid number '%s'\n", a)
			sh.status = 1
			return nil
		}
		total += d
	}
	sh.steps = 0
	if err := sh.host.Sleep(total); err != nil {
		return err
	}
	sh.status = 0
	return nil
}

// complain writes an error in the shell's own words, given as each
// flavour words it: dash prefixes its name and the script's line
// number, bash "bash:", busybox ash its name.
func (sh *Shell) complain(w io.Writer, dash, bash, ash string) {
	switch sh.flavor {
	case Dash:
		_, _ = fmt.Fprintf(w, "%s: %d: %s\n", sh.name, sh.lineNo, dash)
	case Bash:
		_, _ = fmt.Fprintf(w, "bash: %s\n", bash)
	default:
		_, _ = fmt.Fprintf(w, "%s: %s\n", sh.name, ash)
	}
}

// notFound is the shell's message for a missing command.
func (sh *Shell) notFound(w io.Writer, name string) {
	sh.complain(w, name+": not found", name+": command not found", name+": not found")
}

func (sh *Shell) cdError(w io.Writer, dir string) {
	sh.complain(w, "cd: can't cd to "+dir, "cd: "+dir+": No such file or directory", "cd: can't cd to "+dir+": No such file or directory")
}

func (sh *Shell) notNumber(w io.Writer, cmd, arg string) {
	sh.complain(w, cmd+": Illegal number: "+arg, cmd+": "+arg+": numeric argument required", cmd+": Illegal number: "+arg)
}

// abs resolves p against the working directory.
func (sh *Shell) abs(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		p = "/root" + p[1:]
	}
	if !strings.HasPrefix(p, "/") {
		p = sh.cwd + "/" + p
	}
	return path.Clean(p)
}

// Abs resolves a path against the shell's working directory.
func (c *Call) Abs(p string) string { return c.Sh.abs(p) }

// expandWord expands a word into fields.
func (sh *Shell) expandWord(w word, errw io.Writer) ([]string, error) {
	var fields []string
	var cur strings.Builder
	have := false
	for _, s := range w.segs {
		var text string
		switch s.kind {
		case segLit:
			cur.WriteString(s.text)
			have = true
			continue
		case segParam:
			text = sh.param(s.text)
		case segSubst:
			out, err := sh.substitute(s.text, errw)
			if err != nil {
				return nil, err
			}
			text = out
		}
		if s.quoted {
			cur.WriteString(text)
			have = true
			continue
		}
		parts := strings.Fields(text)
		for i, p := range parts {
			if i > 0 || (len(text) > 0 && isSpace(text[0]) && have) {
				if i > 0 || cur.Len() > 0 {
					fields = append(fields, cur.String())
					cur.Reset()
				}
			}
			cur.WriteString(p)
			have = true
		}
		if len(parts) > 0 && isSpace(text[len(text)-1]) {
			fields = append(fields, cur.String())
			cur.Reset()
			have = false
		}
	}
	if have || cur.Len() > 0 {
		fields = append(fields, cur.String())
	}
	return fields, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

// expandString expands a word without field splitting (assignments).
func (sh *Shell) expandString(w word, errw io.Writer) (string, error) {
	var b strings.Builder
	for _, s := range w.segs {
		switch s.kind {
		case segLit:
			b.WriteString(s.text)
		case segParam:
			b.WriteString(sh.param(s.text))
		case segSubst:
			out, err := sh.substitute(s.text, errw)
			if err != nil {
				return "", err
			}
			b.WriteString(out)
		}
	}
	return b.String(), nil
}

func (sh *Shell) param(name string) string {
	switch name {
	case "?":
		return strconv.Itoa(sh.status)
	case "$":
		return "1"
	case "#":
		return "0"
	case "0":
		return sh.name
	}
	if n, def, ok := strings.Cut(name, ":-"); ok {
		if v, _ := sh.vars.get(n); v != "" {
			return v
		}
		return def
	}
	v, _ := sh.vars.get(name)
	return v
}

// substitute runs $(script) and returns its output without trailing
// newlines.
func (sh *Shell) substitute(script string, errw io.Writer) (string, error) {
	l, err := parse(script)
	if err != nil {
		sh.syntaxError(errw, err)
		sh.status = 2
		return "", nil
	}
	var buf bytes.Buffer
	saved, savedCwd := sh.vars.clone(), sh.cwd
	err = sh.runList(l, strings.NewReader(""), &limitWriter{w: &buf, n: maxOutput}, errw)
	sh.vars, sh.cwd = saved, savedCwd
	if err != nil && !errors.Is(err, errExit) {
		return "", err
	}
	return strings.TrimRight(buf.String(), "\n"), nil
}

// vars are the shell's variables; exported ones form the environment of
// the commands it runs, in the order they were first defined.
type vars struct {
	order    []string
	values   map[string]string
	exported map[string]bool
}

func newVars(env []EnvVar) *vars {
	v := &vars{values: map[string]string{}, exported: map[string]bool{}}
	for _, e := range env {
		v.set(e.Name, e.Value)
		v.exported[e.Name] = true
	}
	return v
}

func (v *vars) get(name string) (string, bool) {
	s, ok := v.values[name]
	return s, ok
}

func (v *vars) set(name, value string) {
	if _, ok := v.values[name]; !ok {
		v.order = append(v.order, name)
	}
	v.values[name] = value
}

func (v *vars) export(name string) { v.exported[name] = true }

func (v *vars) unset(name string) {
	if _, ok := v.values[name]; !ok {
		return
	}
	delete(v.values, name)
	delete(v.exported, name)
	for i, n := range v.order {
		if n == name {
			v.order = append(v.order[:i:i], v.order[i+1:]...)
			break
		}
	}
}

func (v *vars) clone() *vars {
	c := &vars{order: append([]string(nil), v.order...), values: make(map[string]string, len(v.values)), exported: make(map[string]bool, len(v.exported))}
	for _, n := range v.order {
		c.values[n] = v.values[n]
		if v.exported[n] {
			c.exported[n] = true
		}
	}
	return c
}

// Environ is the exported environment, in definition order.
func (sh *Shell) Environ() []EnvVar {
	var out []EnvVar
	for _, n := range sh.vars.order {
		if sh.vars.exported[n] {
			out = append(out, EnvVar{Name: n, Value: sh.vars.values[n]})
		}
	}
	return out
}

func isShell(name string) bool {
	switch name {
	case "sh", "bash", "ash", "dash":
		return true
	}
	return false
}

// subShell runs `sh -c SCRIPT` (or a script read from stdin) in a child
// shell: its variables and directory do not leak back.
func (sh *Shell) subShell(argv []string, in io.Reader, out, errw io.Writer) error {
	script, fromStdin := "", true
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if strings.HasPrefix(a, "-") && strings.Contains(a, "c") {
			if i+1 >= len(argv) {
				_, _ = fmt.Fprintf(errw, "%s: -c requires an argument\n", path.Base(argv[0]))
				sh.status = 2
				return nil
			}
			script, fromStdin = argv[i+1], false
			break
		}
	}
	if fromStdin {
		b, _ := io.ReadAll(io.LimitReader(in, maxOutput))
		script = string(b)
	}
	l, err := parse(script)
	if err != nil {
		sh.syntaxError(errw, err)
		sh.status = 2
		return nil
	}
	saved, savedCwd, savedName, savedFlavor, savedLine := sh.vars.clone(), sh.cwd, sh.name, sh.flavor, sh.lineNo
	sh.name, sh.lineNo = path.Base(argv[0]), 1
	if sh.name == "bash" {
		sh.flavor = Bash
	}
	err = sh.runList(l, in, out, errw)
	sh.vars, sh.cwd, sh.name, sh.flavor, sh.lineNo = saved, savedCwd, savedName, savedFlavor, savedLine
	if errors.Is(err, errExit) {
		return nil
	}
	return err
}

// ExecError is an exec whose executable the image does not have: the
// runtime fails to start it.
type ExecError struct{ Name string }

func (e *ExecError) Error() string {
	return fmt.Sprintf("exec: %q: executable file not found in $PATH", e.Name)
}

// Exec runs argv directly, as the runtime's exec does (no shell parses
// it): a missing executable is an *ExecError.
func (sh *Shell) Exec(argv []string, in io.Reader, out, errw io.Writer) (int, error) {
	if len(argv) == 0 {
		return 0, &ExecError{Name: ""}
	}
	name := path.Base(argv[0])
	if !(strings.Contains(argv[0], "/") && sh.img.hasPath(argv[0])) && !sh.img.Has(name) {
		return 0, &ExecError{Name: argv[0]}
	}
	if in == nil {
		in = strings.NewReader("")
	}
	var err error
	switch {
	case isShell(name):
		if len(argv) == 1 || !slices.ContainsFunc(argv[1:], func(a string) bool { return strings.HasPrefix(a, "-") && strings.Contains(a, "c") }) {
			sh.name = name
		}
		err = sh.subShell(argv, in, out, errw)
	case name == "sleep":
		err = sh.sleep(argv, errw)
	default:
		err = sh.exec(argv, in, out, errw)
	}
	if err != nil && !errors.Is(err, errExit) {
		return sh.status, err
	}
	return sh.status, nil
}

// HasShell reports whether the container's image has the named shell.
func (sh *Shell) HasShell(name string) bool { return sh.img.Has(path.Base(name)) }

// Image is the container's image model.
func (sh *Shell) Image() Image { return sh.img }

// readsStdin reports whether a command reads its standard input: a filter
// without file operands.
func readsStdin(argv []string) bool {
	switch path.Base(argv[0]) {
	case "cat", "grep", "wc", "head", "tail", "sort", "tee", "sh", "bash":
	default:
		return false
	}
	operands := 0
	for _, a := range argv[1:] {
		if !strings.HasPrefix(a, "-") || a == "-" {
			operands++
		}
	}
	switch path.Base(argv[0]) {
	case "grep":
		return operands <= 1
	case "tee":
		return true
	}
	return operands == 0
}

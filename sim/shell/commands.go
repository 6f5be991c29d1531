package shell

import (
	"cmp"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Commands is the command table: an image that has an executable of the
// name runs its entry. Engineers of other packages add entries here (the
// network commands: nslookup, dig, wget, curl, nc).
var Commands = map[string]Command{
	"echo":     echo,
	"printf":   printfCmd,
	"cat":      cat,
	"ls":       ls,
	"env":      env,
	"printenv": printenv,
	"hostname": hostname,
	"date":     date,
	"ps":       ps,
	"id":       id,
	"whoami":   whoami,
	"pwd":      func(c *Call) int { c.Printf("%s\n", c.Sh.cwd); return 0 },
	"true":     func(*Call) int { return 0 },
	"false":    func(*Call) int { return 1 },
	"test":     test,
	"[":        test,
	"head":     headTail,
	"tail":     headTail,
	"wc":       wc,
	"grep":     grep,
	"sort":     sortCmd,
	"touch":    touch,
	"mkdir":    mkdir,
	"rm":       rm,
	"uname":    uname,
	"nproc":    nproc,
	"tee":      tee,
	"yes":      func(c *Call) int { c.Errorf("yes: kubesim does not model an endless writer\n"); return 1 },
}

// appCommand is an executable the image has but the shell does not
// model (nginx, python, ...): its version flags answer, anything else
// runs and ends without output.
func appCommand(c *Call) int {
	name := path.Base(c.Args[0])
	if len(c.Args) > 1 {
		switch a := c.Args[1]; {
		case name == "nginx" && (a == "-v" || a == "-V"):
			c.Errorf("nginx version: nginx/%s\n", c.Getenv("NGINX_VERSION"))
		case strings.HasPrefix(name, "python") && (a == "--version" || a == "-V"):
			c.Printf("Python %s\n", c.Getenv("PYTHON_VERSION"))
		case name == "node" && (a == "--version" || a == "-v"):
			c.Printf("v%s\n", c.Getenv("NODE_VERSION"))
		}
	}
	return 0
}

// gnu reports whether the image's utilities are GNU's (their messages
// differ from busybox's).
func (c *Call) gnu() bool { return c.Sh.flavor != Ash }

// noFile prints a utility's "cannot open" message.
func (c *Call) noFile(tool, p, why string) {
	if c.gnu() {
		if tool == "ls" {
			c.Errorf("ls: cannot access '%s': %s\n", p, why)
			return
		}
		c.Errorf("%s: %s: %s\n", tool, p, why)
		return
	}
	switch {
	case tool == "ls":
		c.Errorf("ls: %s: %s\n", p, why)
	case why == "Is a directory":
		c.Errorf("%s: read error: Is a directory\n", tool)
	default:
		c.Errorf("%s: can't open '%s': %s\n", tool, p, why)
	}
}

func echo(c *Call) int {
	args := c.Args[1:]
	newline, escapes := true, c.Sh.flavor == Dash
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
		for _, f := range args[0][1:] {
			switch f {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			case 'E':
				escapes = false
			}
		}
		args = args[1:]
	}
	s := strings.Join(args, " ")
	if escapes {
		s = unescape(s)
	}
	if newline {
		s += "\n"
	}
	c.Printf("%s", s)
	return 0
}

func unescape(s string) string {
	r := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\\`, `\`, `\r`, "\r", `\a`, "\a", `\033`, "\033", `\e`, "\033", `\0`, "\x00")
	return r.Replace(s)
}

func printfCmd(c *Call) int {
	if len(c.Args) < 2 {
		c.Errorf("printf: usage: printf format [arguments]\n")
		return 2
	}
	format, args := unescape(c.Args[1]), c.Args[2:]
	for {
		var b strings.Builder
		used := 0
		for i := 0; i < len(format); i++ {
			if format[i] != '%' || i+1 >= len(format) {
				b.WriteByte(format[i])
				continue
			}
			j := i + 1
			for j < len(format) && strings.IndexByte("-0123456789.", format[j]) >= 0 {
				j++
			}
			if j >= len(format) {
				b.WriteString(format[i:])
				break
			}
			verb, flags := format[j], format[i+1:j]
			arg := ""
			if verb != '%' && used < len(args) {
				arg = args[used]
				used++
			}
			switch verb {
			case '%':
				b.WriteByte('%')
			case 'd', 'i':
				n, _ := strconv.Atoi(arg)
				fmt.Fprintf(&b, "%"+flags+"d", n)
			case 's':
				fmt.Fprintf(&b, "%"+flags+"s", arg)
			case 'x':
				n, _ := strconv.Atoi(arg)
				fmt.Fprintf(&b, "%"+flags+"x", n)
			default:
				b.WriteString(format[i : j+1])
			}
			i = j
		}
		c.Printf("%s", b.String())
		args = args[used:]
		if used == 0 || len(args) == 0 {
			return 0
		}
	}
}

func cat(c *Call) int {
	files := c.Args[1:]
	if len(files) == 0 || (len(files) == 1 && files[0] == "-") {
		_, _ = io.Copy(c.Stdout, io.LimitReader(c.Stdin, maxOutput))
		return 0
	}
	status := 0
	for _, f := range files {
		if f == "-" {
			continue
		}
		if strings.HasPrefix(f, "-") {
			continue
		}
		content, why := c.readFile(f)
		if why != "" {
			c.noFile("cat", f, why)
			status = 1
			continue
		}
		c.Printf("%s", content)
	}
	return status
}

// flagWords reads single-letter flag clusters ("-la") into flags
// (letters it does not list are ignored) and returns the other words;
// leadingOnly stops reading flags at the first other word (grep's
// PATTERN may start with a dash after it).
func flagWords(args []string, flags map[rune]*bool, leadingOnly bool) []string {
	var rest []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") && len(a) > 1 && (!leadingOnly || len(rest) == 0) {
			for _, f := range a[1:] {
				if p := flags[f]; p != nil {
					*p = true
				}
			}
			continue
		}
		rest = append(rest, a)
	}
	return rest
}

func ls(c *Call) int {
	var long, all, almost, one bool
	paths := flagWords(c.Args[1:], map[rune]*bool{'l': &long, 'a': &all, 'A': &almost, '1': &one}, false)
	if len(paths) == 0 {
		paths = []string{"."}
	}
	v := c.Sh.fsView(c.State)
	status := 0
	show := func(dir string, names []string) {
		for _, n := range names {
			p := path.Join(dir, n)
			e, _ := v.get(p)
			if e == nil {
				e = &entry{}
			}
			if long {
				c.Printf("%s\n", longLine(c, e, n))
			} else if one {
				c.Printf("%s\n", n)
			}
		}
		if !long && !one && len(names) > 0 {
			c.Printf("%s\n", strings.Join(names, "\n"))
		}
	}
	var files []string
	var dirs []string
	for _, p := range paths {
		ap := c.Abs(p)
		e, ok := v.get(ap)
		if !ok {
			c.noFile("ls", p, "No such file or directory")
			status = 1
			if c.gnu() {
				status = 2
			}
			continue
		}
		if e.dir {
			dirs = append(dirs, p)
		} else {
			files = append(files, p)
		}
	}
	for _, f := range files {
		show(path.Dir(c.Abs(f)), []string{f})
	}
	for i, d := range dirs {
		if len(paths) > 1 {
			if i > 0 || len(files) > 0 {
				c.Printf("\n")
			}
			c.Printf("%s:\n", d)
		}
		names := v.list(c.Abs(d))
		var shown []string
		if all {
			shown = append(shown, ".", "..")
		}
		for _, n := range names {
			if strings.HasPrefix(n, ".") && !all && !almost {
				continue
			}
			shown = append(shown, n)
		}
		if long {
			c.Printf("total %d\n", len(shown)*4)
		}
		show(c.Abs(d), shown)
	}
	return status
}

func longLine(c *Call, e *entry, name string) string {
	when := c.State.Now.UTC().Format("Jan _2 15:04")
	switch {
	case e.link != "":
		return fmt.Sprintf("lrwxrwxrwx    1 root     root  %10d %s %s -> %s", len(e.link), when, name, e.link)
	case e.dir:
		return fmt.Sprintf("drwxr-xr-x    2 root     root  %10d %s %s", 4096, when, name)
	}
	mode := cmp.Or(e.mode, "-rw-r--r--")
	return fmt.Sprintf("%s    1 root     root  %10d %s %s", mode, len(e.content), when, name)
}

func env(c *Call) int {
	if len(c.Args) > 1 && !strings.HasPrefix(c.Args[1], "-") {
		c.Errorf("env: running a command through env is not modelled; run it directly\n")
		return 125
	}
	for _, e := range c.Sh.Environ() {
		c.Printf("%s=%s\n", e.Name, e.Value)
	}
	return 0
}

func printenv(c *Call) int {
	if len(c.Args) == 1 {
		return env(c)
	}
	status := 0
	for _, n := range c.Args[1:] {
		found := false
		for _, e := range c.Sh.Environ() {
			if e.Name == n {
				c.Printf("%s\n", e.Value)
				found = true
			}
		}
		if !found {
			status = 1
		}
	}
	return status
}

func hostname(c *Call) int {
	if len(c.Args) > 1 && (c.Args[1] == "-i" || c.Args[1] == "-I") {
		c.Printf("%s\n", c.Pod().Status.PodIP)
		return 0
	}
	c.Printf("%s\n", c.Sh.hostname())
	return 0
}

// date prints the virtual time, in UTC as a container's TZ-less clock.
func date(c *Call) int {
	now := c.State.Now.UTC()
	for _, a := range c.Args[1:] {
		switch {
		case strings.HasPrefix(a, "+"):
			c.Printf("%s\n", strftime(a[1:], now))
			return 0
		case a == "-u" || a == "--utc":
		case a == "-Iseconds" || a == "--iso-8601=seconds":
			c.Printf("%s\n", now.Format("2006-01-02T15:04:05-07:00"))
			return 0
		case a == "-I" || a == "--iso-8601":
			c.Printf("%s\n", now.Format("2006-01-02"))
			return 0
		case a == "-R" || a == "--rfc-2822":
			c.Printf("%s\n", now.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
			return 0
		default:
			c.Errorf("date: invalid date '%s'\n", a)
			return 1
		}
	}
	c.Printf("%s\n", now.Format("Mon Jan _2 15:04:05 MST 2006"))
	return 0
}

func strftime(f string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			b.WriteString(t.Format("2006"))
		case 'm':
			b.WriteString(t.Format("01"))
		case 'd':
			b.WriteString(t.Format("02"))
		case 'H':
			b.WriteString(t.Format("15"))
		case 'M':
			b.WriteString(t.Format("04"))
		case 'S':
			b.WriteString(t.Format("05"))
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'N':
			fmt.Fprintf(&b, "%09d", t.Nanosecond())
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'b':
			b.WriteString(t.Format("Jan"))
		case 'y':
			b.WriteString(t.Format("06"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}

// ps lists the container's processes: PID 1 (the container's command) and
// the shell that runs ps.
func ps(c *Call) int {
	user := "root"
	if u, _ := runAs(c.Pod(), c.Container()); u != nil && *u != 0 {
		user = strconv.FormatInt(*u, 10)
	}
	start := startedAt(c.Pod(), c.Container().Name)
	cpu := "0:00"
	if !start.IsZero() && c.State.Now.After(start) {
		cpu = fmt.Sprintf("%d:%02d", int(c.State.Now.Sub(start).Minutes())/600, 0)
	}
	procs := c.Sh.processes()
	last, _ := strconv.Atoi(procs[len(procs)-1].pid)
	if !c.Sh.main { // a shell exec started: 37 in a fresh container
		last = max(last+6, 37)
		procs = append(procs, process{strconv.Itoa(last), "", c.Sh.name})
	}
	procs = append(procs, process{strconv.Itoa(last + 6), "", strings.Join(c.Args, " ")})
	if c.gnu() {
		c.Printf("    PID TTY          TIME CMD\n")
		for _, p := range procs {
			fmt.Fprintf(c.Stdout, "%7s ?        00:00:00 %s\n", p.pid, strings.Fields(p.cmd + " x")[0])
		}
		return 0
	}
	c.Printf("PID   USER     TIME  COMMAND\n")
	for _, p := range procs {
		c.Printf("%5s %-8s %5s %s\n", p.pid, cmp.Or(p.user, user), cpu, p.cmd)
	}
	return 0
}

// process is a line of ps: its PID, its user ("": the container's) and
// command line.
type process struct{ pid, user, cmd string }

// processes are the processes the shell's PID namespace holds before
// the shell itself: its container's main process (PID 1, and nginx's
// workers); for an ephemeral container that targets another
// (kubectl debug --target), the target's processes first, as the debug
// container joins its namespace; in a pod that shares its process
// namespace (shareProcessNamespace), the pause process as PID 1, then
// every running container's.
func (sh *Shell) processes() []process {
	pod, own := sh.pod, sh.ctr
	var ctrs []*corev1.Container
	switch {
	case pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace:
		for i := range pod.Spec.Containers {
			if i := &pod.Spec.Containers[i]; running(pod, i.Name) || i.Name == own.Name {
				ctrs = append(ctrs, i)
			}
		}
		for i := range pod.Spec.EphemeralContainers {
			if e := &pod.Spec.EphemeralContainers[i]; running(pod, e.Name) && e.Name != own.Name {
				ctrs = append(ctrs, FindContainer(pod, e.Name))
			}
		}
		if !slices.ContainsFunc(ctrs, func(c *corev1.Container) bool { return c.Name == own.Name }) {
			ctrs = append(ctrs, own)
		}
		out := []process{{pid: "1", user: "65535", cmd: "/pause"}}
		return append(out, containerProcesses(ctrs, 7)...)
	case targetOf(pod, own.Name) != nil:
		ctrs = []*corev1.Container{targetOf(pod, own.Name), own}
	default:
		ctrs = []*corev1.Container{own}
	}
	return containerProcesses(ctrs, 1)
}

// containerProcesses numbers the containers' processes from pid on:
// the first container's main process at pid, nginx's workers 28 and 29
// after it, each further container's 6 after the last.
func containerProcesses(ctrs []*corev1.Container, pid int) []process {
	var out []process
	for i, ctr := range ctrs {
		if i > 0 {
			pid += 6
		}
		main := mainCommandOf(ctr)
		out = append(out, process{pid: strconv.Itoa(pid), cmd: strings.Join(main, " ")})
		if len(main) > 0 && strings.HasPrefix(main[0], "nginx:") {
			pid += 28
			out = append(out, process{strconv.Itoa(pid), "101", "nginx: worker process"}, process{strconv.Itoa(pid + 1), "101", "nginx: worker process"})
			pid++
		}
	}
	return out
}

// targetOf is the container an ephemeral container targets (nil: none).
func targetOf(pod *corev1.Pod, name string) *corev1.Container {
	for _, e := range pod.Spec.EphemeralContainers {
		if e.Name == name && e.TargetContainerName != "" {
			return FindContainer(pod, e.TargetContainerName)
		}
	}
	return nil
}

// running: the container's status says it runs.
func running(pod *corev1.Pod, name string) bool {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses} {
		for _, cs := range list {
			if cs.Name == name {
				return cs.State.Running != nil
			}
		}
	}
	return false
}

// runAs is the user and group the container runs as: its own security
// context's, else the pod's (nil: the image's, root here), as the
// kubelet's effective security context.
func runAs(pod *corev1.Pod, ctr *corev1.Container) (user, group *int64) {
	if psc := pod.Spec.SecurityContext; psc != nil {
		user, group = psc.RunAsUser, psc.RunAsGroup
	}
	if sc := ctr.SecurityContext; sc != nil {
		user, group = cmp.Or(sc.RunAsUser, user), cmp.Or(sc.RunAsGroup, group)
	}
	return user, group
}

// id prints the process's identity from the pod's security context
// (runAsUser, runAsGroup, fsGroup and supplementalGroups, as the kubelet
// sets them).
func id(c *Call) int {
	uid, gid := int64(0), int64(0)
	u, g := runAs(c.Pod(), c.Container())
	if u != nil {
		uid = *u
	}
	if g != nil {
		gid = *g
	}
	name := func(n int64) string {
		if n == 0 {
			return "0(root)"
		}
		return strconv.FormatInt(n, 10)
	}
	groups := []string{name(gid)}
	if uid == 0 && gid == 0 && !c.gnu() {
		groups = append(groups, "10(wheel)")
	}
	if psc := c.Pod().Spec.SecurityContext; psc != nil {
		if psc.FSGroup != nil && *psc.FSGroup != gid {
			groups = append(groups, name(*psc.FSGroup))
		}
		for _, g := range psc.SupplementalGroups {
			if s := name(g); !slices.Contains(groups, s) {
				groups = append(groups, s)
			}
		}
	}
	flag := ""
	if len(c.Args) > 1 {
		flag = c.Args[1]
	}
	switch flag {
	case "-u":
		c.Printf("%d\n", uid)
	case "-g":
		c.Printf("%d\n", gid)
	case "-un":
		return whoami(c)
	default:
		c.Printf("uid=%s gid=%s groups=%s\n", name(uid), name(gid), strings.Join(groups, ","))
	}
	return 0
}

func whoami(c *Call) int {
	if u, _ := runAs(c.Pod(), c.Container()); u != nil && *u != 0 {
		if c.gnu() {
			c.Errorf("whoami: cannot find name for user ID %d\n", *u)
		} else {
			c.Errorf("whoami: unknown uid %d\n", *u)
		}
		return 1
	}
	c.Printf("root\n")
	return 0
}

// test evaluates test / [ expressions.
func test(c *Call) int {
	args := c.Args[1:]
	if c.Args[0] == "[" {
		if len(args) == 0 || args[len(args)-1] != "]" {
			c.Errorf("[: missing ]\n")
			return 2
		}
		args = args[:len(args)-1]
	}
	neg := false
	if len(args) > 0 && args[0] == "!" {
		neg, args = true, args[1:]
	}
	r, ok := c.testExpr(args)
	if !ok {
		return 2
	}
	if r != neg {
		return 0
	}
	return 1
}

func (c *Call) testExpr(args []string) (bool, bool) {
	switch len(args) {
	case 0:
		return false, true
	case 1:
		return args[0] != "", true
	case 2:
		v := c.Sh.fsView(c.State)
		e, exists := v.get(c.Abs(args[1]))
		switch args[0] {
		case "-z":
			return args[1] == "", true
		case "-n":
			return args[1] != "", true
		case "-e":
			return exists, true
		case "-f":
			return exists && !e.dir, true
		case "-d":
			return exists && e.dir, true
		case "-s":
			return exists && !e.dir && e.content != "", true
		case "-r", "-w", "-x":
			return exists, true
		}
	case 3:
		a, op, b := args[0], args[1], args[2]
		switch op {
		case "=", "==":
			return a == b, true
		case "!=":
			return a != b, true
		case "-eq", "-ne", "-lt", "-le", "-gt", "-ge":
			x, err1 := strconv.Atoi(a)
			y, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil {
				c.Errorf("sh: %s: bad number\n", a)
				return false, false
			}
			switch op {
			case "-eq":
				return x == y, true
			case "-ne":
				return x != y, true
			case "-lt":
				return x < y, true
			case "-le":
				return x <= y, true
			case "-gt":
				return x > y, true
			}
			return x >= y, true
		}
	}
	c.Errorf("sh: %s: unknown operand\n", args[0])
	return false, false
}

// input is a filter's input: its files, or stdin.
func (c *Call) input(tool string, files []string) (string, int) {
	if len(files) == 0 {
		b, _ := io.ReadAll(io.LimitReader(c.Stdin, maxOutput))
		return string(b), 0
	}
	var b strings.Builder
	status := 0
	for _, f := range files {
		content, why := c.readFile(f)
		if why != "" {
			c.noFile(tool, f, why)
			status = 1
			continue
		}
		b.WriteString(content)
	}
	return b.String(), status
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.SplitAfter(strings.TrimSuffix(s, "\n")+"\n", "\n")[:strings.Count(strings.TrimSuffix(s, "\n")+"\n", "\n")]
}

func headTail(c *Call) int {
	n := 10
	var files []string
	args := c.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-n" && i+1 < len(args):
			n, _ = strconv.Atoi(strings.TrimPrefix(args[i+1], "+"))
			i++
		case strings.HasPrefix(a, "-n"):
			n, _ = strconv.Atoi(a[2:])
		case a == "-f" || a == "-F":
			c.Errorf("%s: following a file is not modelled\n", c.Args[0])
			return 1
		case len(a) > 1 && a[0] == '-' && a[1] >= '0' && a[1] <= '9':
			n, _ = strconv.Atoi(a[1:])
		default:
			files = append(files, a)
		}
	}
	text, status := c.input(c.Args[0], files)
	lines := splitLines(text)
	if path.Base(c.Args[0]) == "head" {
		lines = lines[:min(n, len(lines))]
	} else {
		lines = lines[max(0, len(lines)-n):]
	}
	c.Printf("%s", strings.Join(lines, ""))
	return status
}

func wc(c *Call) int {
	var flags string
	var files []string
	for _, a := range c.Args[1:] {
		if strings.HasPrefix(a, "-") {
			flags += a[1:]
		} else {
			files = append(files, a)
		}
	}
	text, status := c.input("wc", files)
	l, w, b := strings.Count(text, "\n"), len(strings.Fields(text)), len(text)
	switch flags {
	case "l":
		c.Printf("%d\n", l)
	case "w":
		c.Printf("%d\n", w)
	case "c":
		c.Printf("%d\n", b)
	default:
		c.Printf("%7d %7d %7d\n", l, w, b)
	}
	return status
}

func grep(c *Call) int {
	var ignore, invert, count, quiet bool
	rest := flagWords(c.Args[1:], map[rune]*bool{'i': &ignore, 'v': &invert, 'c': &count, 'q': &quiet}, true)
	if len(rest) == 0 {
		c.Errorf("Usage: grep [-icqv] PATTERN [FILE]...\n")
		return 2
	}
	pat := rest[0]
	if ignore {
		pat = "(?i)" + pat
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		c.Errorf("grep: bad regex '%s'\n", rest[0])
		return 2
	}
	text, status := c.input("grep", rest[1:])
	n := 0
	for _, line := range splitLines(text) {
		if re.MatchString(strings.TrimSuffix(line, "\n")) != invert {
			n++
			if !count && !quiet {
				c.Printf("%s", line)
			}
		}
	}
	if count {
		c.Printf("%d\n", n)
	}
	if status != 0 {
		return 2
	}
	if n == 0 {
		return 1
	}
	return 0
}

func sortCmd(c *Call) int {
	var files []string
	reverse := false
	for _, a := range c.Args[1:] {
		if a == "-r" {
			reverse = true
		} else if !strings.HasPrefix(a, "-") {
			files = append(files, a)
		}
	}
	text, status := c.input("sort", files)
	lines := splitLines(text)
	slices.Sort(lines)
	if reverse {
		slices.Reverse(lines)
	}
	c.Printf("%s", strings.Join(lines, ""))
	return status
}

func tee(c *Call) int {
	b, _ := io.ReadAll(io.LimitReader(c.Stdin, maxOutput))
	c.Printf("%s", b)
	status := 0
	for _, f := range c.Args[1:] {
		if strings.HasPrefix(f, "-") {
			continue
		}
		if msg := c.Sh.writeFile(c.State, c.Abs(f), string(b), false); msg != "" {
			c.Errorf("tee: %s: %s\n", f, msg)
			status = 1
		}
	}
	return status
}

func touch(c *Call) int {
	status := 0
	for _, f := range c.Args[1:] {
		if strings.HasPrefix(f, "-") {
			continue
		}
		if msg := c.Sh.writeFile(c.State, c.Abs(f), "", true); msg != "" && msg != "Is a directory" {
			if c.gnu() {
				c.Errorf("touch: cannot touch '%s': %s\n", f, msg)
			} else {
				c.Errorf("touch: %s: %s\n", f, msg)
			}
			status = 1
		}
	}
	return status
}

func mkdir(c *Call) int {
	parents := false
	status := 0
	v := c.Sh.fsView(c.State)
	for _, a := range c.Args[1:] {
		if a == "-p" {
			parents = true
			continue
		}
		p := c.Abs(a)
		if v.readOnly(p) {
			c.Errorf("mkdir: can't create directory '%s': Read-only file system\n", a)
			status = 1
			continue
		}
		if _, ok := v.get(p); ok {
			if !parents {
				c.Errorf("mkdir: can't create directory '%s': File exists\n", a)
				status = 1
			}
			continue
		}
		if !v.isDir(path.Dir(p)) && !parents {
			c.Errorf("mkdir: can't create directory '%s': No such file or directory\n", a)
			status = 1
			continue
		}
		for q := p; q != "/" && !v.isDir(q); q = path.Dir(q) {
			c.Sh.fs.dirs[q] = true
			delete(c.Sh.fs.removed, q)
		}
	}
	return status
}

func rm(c *Call) int {
	force, recursive := false, false
	status := 0
	v := c.Sh.fsView(c.State)
	for _, a := range c.Args[1:] {
		if strings.HasPrefix(a, "-") {
			force = force || strings.Contains(a, "f")
			recursive = recursive || strings.ContainsAny(a, "rR")
			continue
		}
		p := c.Abs(a)
		e, ok := v.get(p)
		switch {
		case !ok:
			if !force {
				c.Errorf("rm: can't remove '%s': No such file or directory\n", a)
				status = 1
			}
		case e.dir && !recursive:
			c.Errorf("rm: '%s' is a directory\n", a)
			status = 1
		case v.readOnly(p):
			c.Errorf("rm: can't remove '%s': Read-only file system\n", a)
			status = 1
		default:
			delete(c.Sh.fs.files, p)
			delete(c.Sh.fs.dirs, p)
			c.Sh.fs.removed[p] = true
		}
	}
	return status
}

// uname reports the node's kernel: an EKS AL2023 node.
func uname(c *Call) int {
	const release = "6.12.46-66.121.amzn2023.x86_64"
	node := c.Sh.hostname()
	for _, a := range c.Args[1:] {
		switch a {
		case "-a":
			c.Printf("Linux %s %s #1 SMP Thu Oct  2 16:10:00 UTC 2025 x86_64 GNU/Linux\n", node, release)
			return 0
		case "-r":
			c.Printf("%s\n", release)
			return 0
		case "-m":
			c.Printf("x86_64\n")
			return 0
		case "-n":
			c.Printf("%s\n", node)
			return 0
		}
	}
	c.Printf("Linux\n")
	return 0
}

// nproc is the node's CPU count (a container sees all of them; limits
// are a cgroup quota).
func nproc(c *Call) int {
	n := int64(1)
	if o, ok := c.State.Store.Get("Node", "", c.Pod().Spec.NodeName); ok {
		if q, ok := o.(*corev1.Node).Status.Capacity[corev1.ResourceCPU]; ok {
			n = q.Value()
		}
	}
	c.Printf("%d\n", n)
	return 0
}

package images

import (
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The shell model: enough of sh to tell how long a typical pod command
// runs and how it ends. `sleep N`, `exit N`, `true`, `false`, `&&`, `||`,
// `;`, `while ...; do ...; done` (runs forever), `tail -f`, `trap ... TERM`
// and a list of common utilities (instant, exit 0) are understood;
// anything else is "not found" (exit 127).

// utilities are commands of busybox/coreutils that finish at once.
var utilities = map[string]bool{}

func init() {
	for _, u := range strings.Fields(`echo printf cat ls env printenv hostname date wget curl nslookup dig host
		touch mkdir rm rmdir cp mv ln chmod chown id whoami uname df du free ps sleep true false tail head
		grep egrep sed awk sort uniq wc tr cut tee find xargs test [ expr seq timeout traceroute ip ifconfig
		netstat route mount umount dd tar gzip gunzip zcat base64 md5sum sha256sum stat which mkfifo readlink
		realpath basename dirname hexdump od pwd cd export set unset source . kill killall wait nproc
		apk apt apt-get yum dnf microdnf pip pip3 npm nc ping yes watch top httpd telnet read exit : uptime
		sync logger getent clear stty tty nohup time diff cmp openssl ssh vi less more fallocate truncate`) {
		utilities[u] = true
	}
}

func isUtility(name string) bool { return utilities[name] }

type evaluator struct {
	img         *Image
	elapsed     time.Duration
	status      int32
	forever     bool
	exited      bool
	handlesTerm bool
	notFound    string // the first command that does not exist
	// loops are the open for loops: when each began and how many times
	// its body runs.
	loops []forLoop
	// writes are the files the script writes, in time order.
	writes []Write
}

type forLoop struct {
	start  time.Duration
	n      int
	writes int // len(writes) when the loop began
}

func runScript(img *Image, script string, b *Behavior) {
	stmts, ops := splitScript(script)
	e := evaluator{img: img}
	e.run(stmts, ops)
	e.apply(b, false)
}

// apply writes the outcome into b. execForm: the command was not run by a
// shell, so a missing executable fails the container's start instead of
// exiting 127.
func (e *evaluator) apply(b *Behavior, execForm bool) {
	b.IgnoresSIGTERM = !e.handlesTerm
	b.Writes = e.writes
	if execForm && e.notFound != "" {
		b.Writes = nil
		b.Forever, b.RunFor, b.ExitCode = false, 0, 128
		b.StartError = "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"" +
			e.notFound + "\": executable file not found in $PATH: unknown"
		return
	}
	if e.forever {
		b.Forever = true
		return
	}
	b.Forever, b.RunFor, b.ExitCode = false, e.elapsed, e.status
}

// run evaluates statements; ops[i] is the operator before statement i
// ("", ";", "&&", "||", "&").
func (e *evaluator) run(stmts [][]string, ops []string) {
	for i, st := range stmts {
		if e.forever || e.exited {
			return
		}
		switch ops[i] {
		case "&&":
			if e.status != 0 {
				continue
			}
		case "||":
			if e.status == 0 {
				continue
			}
		}
		background := i+1 < len(ops) && ops[i+1] == "&"
		if background {
			continue // runs beside the script; does not delay it
		}
		e.statement(st)
	}
}

func (e *evaluator) statement(words []string) {
	for len(words) > 0 {
		switch w := words[0]; {
		case w == "exec" || w == "do" || w == "then" || w == "else" || w == "if" || w == "!" || w == "{" || w == "(":
			words = words[1:]
			continue
		case strings.Contains(w, "=") && !strings.HasPrefix(w, "="):
			words = words[1:] // variable assignment
			continue
		}
		break
	}
	if len(words) == 0 {
		return
	}
	switch words[0] {
	case "done":
		// A for loop's body ran once: its time counts once per item.
		if n := len(e.loops); n > 0 {
			l := e.loops[n-1]
			e.loops = e.loops[:n-1]
			body, d := slices.Clone(e.writes[l.writes:]), e.elapsed-l.start
			for i := 1; i < l.n; i++ {
				for _, w := range body {
					w.At += time.Duration(i) * d
					if strings.Contains(w.Path, "$") {
						// A name made of the loop variable: another file
						// each time round.
						w.Path += "#" + strconv.Itoa(i)
					}
					e.writes = append(e.writes, w)
				}
			}
			e.elapsed = l.start + (e.elapsed-l.start)*time.Duration(l.n)
		}
		return
	case "fi", "}", ")", "esac":
		return
	case "while", "until":
		e.forever = true // pod scripts loop until killed
		return
	case "for":
		e.loops = append(e.loops, forLoop{start: e.elapsed, n: forItems(words), writes: len(e.writes)})
		return
	case "case":
		return
	case "trap":
		for _, w := range words[1:] {
			if w == "TERM" || w == "SIGTERM" || w == "15" || w == "EXIT" || w == "INT" {
				e.handlesTerm = true
			}
		}
		e.status = 0
		return
	}
	e.command(words)
}

// forItems is how many times `for VAR in WORDS` runs its body: the
// number of literal words; a list expanded at run time ($(seq 1 5), a
// glob) counts once.
func forItems(words []string) int {
	if len(words) < 3 || words[2] != "in" {
		return 1
	}
	for _, w := range words[3:] {
		if strings.ContainsAny(w, "$`*?") {
			return 1
		}
	}
	return max(len(words)-3, 1)
}

func (e *evaluator) command(argv []string) {
	name := path.Base(argv[0])
	args := argv[1:]
	switch {
	case e.img != nil && (slices.Contains(e.img.App, argv[0]) || slices.Contains(e.img.App, name)):
		var b Behavior
		appCommand(e.img, argv, &b)
		if b.Forever {
			e.forever = true
			return
		}
		e.elapsed += b.RunFor
		e.status = 0
	case name == "sleep":
		e.sleep(args)
	case name == "exit":
		e.exited = true
		if len(args) > 0 {
			n, err := strconv.Atoi(args[0])
			if err != nil {
				n = 2
			}
			e.status = int32(n & 0xff)
		}
	case name == "false" || name == "read":
		e.status = 1
	case runsForever(name, args):
		e.forever = true
	case e.fileWrites(name, args):
	case utilities[name]:
		e.status = 0
	default:
		if e.notFound == "" {
			e.notFound = argv[0]
		}
		e.status = 127
	}
}

// runsForever lists the utilities that do not end by themselves.
func runsForever(name string, args []string) bool {
	has := func(flags ...string) bool {
		for _, a := range args {
			for _, f := range flags {
				if a == f || strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, strings.TrimPrefix(f, "-")) && len(f) == 2 {
					return true
				}
			}
		}
		return false
	}
	switch name {
	case "tail":
		return has("-f", "-F", "--follow")
	case "yes", "watch", "top":
		return true
	case "ping":
		return !has("-c")
	case "nc", "netcat":
		return has("-l")
	case "httpd":
		return has("-f")
	case "cat":
		return false
	}
	return false
}

func (e *evaluator) sleep(args []string) {
	if len(args) == 0 {
		e.status = 1
		return
	}
	var total time.Duration
	for _, a := range args {
		if a == "infinity" || a == "inf" {
			e.forever = true
			return
		}
		d, ok := ParseSleep(a)
		if !ok {
			e.status = 1
			return
		}
		total += d
	}
	e.elapsed += total
	e.status = 0
}

// ParseSleep reads sleep's operand: a number with an optional s, m, h or
// d suffix (the exec shell uses it too, so both agree on what sleep accepts).
func ParseSleep(a string) (time.Duration, bool) {
	unit := time.Second
	switch {
	case strings.HasSuffix(a, "s"):
		a = a[:len(a)-1]
	case strings.HasSuffix(a, "m"):
		a, unit = a[:len(a)-1], time.Minute
	case strings.HasSuffix(a, "h"):
		a, unit = a[:len(a)-1], time.Hour
	case strings.HasSuffix(a, "d"):
		a, unit = a[:len(a)-1], 24*time.Hour
	}
	f, err := strconv.ParseFloat(a, 64)
	if err != nil || !(f >= 0) || f*float64(unit) >= math.MaxInt64 {
		return 0, false // not a number (NaN too), negative, or past what a Duration holds
	}
	return time.Duration(f * float64(unit)), true
}

// splitScript tokenises a shell script into statements of words (quotes
// removed) and the operators that precede each statement.
func splitScript(script string) ([][]string, []string) {
	var (
		stmts [][]string
		ops   = []string{""}
		words []string
		cur   strings.Builder
		inTok bool
		quote byte
	)
	flushWord := func() {
		if inTok {
			words = append(words, cur.String())
			cur.Reset()
			inTok = false
		}
	}
	flushStmt := func(op string) {
		flushWord()
		stmts = append(stmts, words)
		words = nil
		ops = append(ops, op)
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inTok = c, true
		case c == '#' && !inTok:
			for i < len(script) && script[i] != '\n' {
				i++
			}
			i--
		case c == ' ' || c == '\t':
			flushWord()
		case c == ';' || c == '\n':
			flushStmt(";")
		case c == '&' || c == '|':
			op := string(c)
			if i+1 < len(script) && script[i+1] == c {
				op += string(c)
				i++
			}
			if op == "|" {
				op = ";"
			}
			flushStmt(op)
		default:
			cur.WriteByte(c)
			inTok = true
		}
	}
	flushWord()
	stmts = append(stmts, words)
	return stmts, ops[:len(stmts)]
}

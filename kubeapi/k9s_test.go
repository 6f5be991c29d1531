package kubeapi

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// k9sPackage is the k9s .ci/run installs.
const k9sPackage = "github.com/derailed/k9s@v0.50.16"

// k9sConfig turns off what would reach outside the machine (the check
// for a newer release, image scans) and the emoji icons, so that each
// character is one cell of the screen below.
const k9sConfig = `k9s:
  skipLatestRevCheck: true
  imageScans:
    enable: false
  ui:
    noIcons: true
    logoless: true
`

// The terminal k9s runs in.
const k9sRows, k9sCols = 40, 160

// vtScreen is the screen of the terminal k9s draws on: the cells that
// tcell's output leaves, for the few VT100 sequences tcell writes (cursor
// moves, erases; colours and modes are ignored). An unknown sequence
// leaves the screen wrong, so a test reading it fails rather than passes.
type vtScreen struct {
	mu   sync.Mutex
	rows [k9sRows][k9sCols]rune
	x, y int
	rest []byte // an incomplete sequence or rune, awaiting more bytes
}

func (s *vtScreen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := append(s.rest, p...)
	for len(b) > 0 {
		n := s.step(b)
		if n == 0 {
			break
		}
		b = b[n:]
	}
	s.rest = append([]byte(nil), b...)
	return len(p), nil
}

var csi = regexp.MustCompile(`^\x1b\[([?>=]?)([0-9;]*)([ -/]*)([@-~])`)

// step consumes one rune or sequence from b and returns its length, 0 if
// b holds only the start of one.
func (s *vtScreen) step(b []byte) int {
	switch b[0] {
	case '\x1b':
		if len(b) < 2 {
			return 0
		}
		switch b[1] {
		case '[':
			m := csi.FindSubmatch(b)
			if m == nil {
				if len(b) > 64 {
					return 1
				}
				return 0
			}
			if len(m[1]) == 0 && len(m[3]) == 0 {
				s.csi(string(m[2]), m[4][0])
			}
			return len(m[0])
		case ']', 'P', '_': // OSC, DCS, APC: up to BEL or ST
			if i := bytes.IndexAny(b, "\a\x9c"); i >= 0 {
				return i + 1
			}
			if i := bytes.Index(b, []byte("\x1b\\")); i >= 0 {
				return i + 2
			}
			return 0
		case '(', ')', '#': // charset designations
			if len(b) < 3 {
				return 0
			}
			return 3
		}
		return 2
	case '\r':
		s.x = 0
	case '\n':
		s.y = min(s.y+1, k9sRows-1)
	case '\b':
		s.x = max(s.x-1, 0)
	default:
		if b[0] < ' ' {
			return 1
		}
		if !utf8.FullRune(b) {
			return 0
		}
		r, n := utf8.DecodeRune(b)
		if s.x < k9sCols {
			s.rows[s.y][s.x] = r
		}
		s.x++
		return n
	}
	return 1
}

func (s *vtScreen) csi(params string, final byte) {
	ps := strings.Split(params, ";")
	arg := func(i, def int) int {
		if i < len(ps) {
			if n, err := strconv.Atoi(ps[i]); err == nil && n > 0 {
				return n
			}
		}
		return def
	}
	clear := func(y, from, to int) {
		for x := from; x < to && x < k9sCols; x++ {
			s.rows[y][x] = 0
		}
	}
	switch final {
	case 'H', 'f':
		s.y, s.x = min(arg(0, 1), k9sRows)-1, min(arg(1, 1), k9sCols)-1
	case 'A':
		s.y = max(s.y-arg(0, 1), 0)
	case 'B':
		s.y = min(s.y+arg(0, 1), k9sRows-1)
	case 'C':
		s.x = min(s.x+arg(0, 1), k9sCols-1)
	case 'D':
		s.x = max(s.x-arg(0, 1), 0)
	case 'G':
		s.x = min(arg(0, 1), k9sCols) - 1
	case 'd':
		s.y = min(arg(0, 1), k9sRows) - 1
	case 'K':
		switch arg(0, 0) {
		case 0:
			clear(s.y, s.x, k9sCols)
		case 1:
			clear(s.y, 0, s.x+1)
		case 2:
			clear(s.y, 0, k9sCols)
		}
	case 'J':
		if arg(0, 0) == 0 {
			clear(s.y, s.x, k9sCols)
			for y := s.y + 1; y < k9sRows; y++ {
				clear(y, 0, k9sCols)
			}
			return
		}
		for y := range k9sRows {
			clear(y, 0, k9sCols)
		}
	}
}

// String is the screen's text, one line a row, unwritten cells as spaces.
func (s *vtScreen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sb strings.Builder
	for _, row := range s.rows {
		line := []rune(string(row[:]))
		for i, r := range line {
			if r == 0 {
				line[i] = ' '
			}
		}
		sb.WriteString(strings.TrimRight(string(line), " "))
		sb.WriteByte('\n')
	}
	return sb.String()
}

// k9sScreen runs the real k9s read-only on view (its --command) under a
// pseudo-terminal of k9sRows×k9sCols, waits until its screen matches
// every one of want, and returns the screen and k9s's debug log.
func k9sScreen(t *testing.T, config, view string, want ...*regexp.Regexp) (string, string) {
	t.Helper()
	path := goTool(t, "k9s", k9sPackage)
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script (util-linux) is not installed: it gives k9s its terminal")
	}
	home := t.TempDir()
	cfgDir := filepath.Join(home, "k9s")
	require.NoError(t, os.MkdirAll(cfgDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(cfgDir, "config.yaml"), []byte(k9sConfig), 0o644))
	logFile := filepath.Join(home, "k9s.log")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inner := fmt.Sprintf("stty rows %d cols %d && exec %s --kubeconfig %s --command %s --readonly --logFile %s --logLevel debug",
		k9sRows, k9sCols, path, config, view, logFile)
	cmd := exec.CommandContext(ctx, script, "-qfc", inner, "/dev/null")
	cmd.Env = append(os.Environ(), "HOME="+home, "K9S_CONFIG_DIR="+cfgDir, "XDG_CONFIG_HOME="+home,
		"XDG_DATA_HOME="+home, "XDG_STATE_HOME="+home, "XDG_CACHE_HOME="+home,
		"TERM=xterm-256color", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "COLORTERM=")
	scr := &vtScreen{}
	cmd.Stdout = scr
	stdin, err := cmd.StdinPipe() // held open: script ends when its input does
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		if err := <-done; err != nil {
			t.Logf("k9s stopped: %v", err) // killed, as expected
		}
	}()

	matches := func() bool {
		s := scr.String()
		for _, re := range want {
			if !re.MatchString(s) {
				return false
			}
		}
		return true
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !matches() {
		select {
		case err := <-done:
			done <- err
			log, _ := os.ReadFile(logFile)
			t.Fatalf("k9s ended (%v) before its screen showed %v:\n%s\nlog:\n%s", err, want, scr, log)
		case <-ctx.Done():
			log, _ := os.ReadFile(logFile)
			t.Fatalf("k9s's screen did not show %v:\n%s\nlog:\n%s", want, scr, log)
		case <-tick.C:
		}
	}
	log, err := os.ReadFile(logFile)
	require.NoError(t, err)
	return scr.String(), string(log)
}

// k9sErrors are the error and warning lines of a k9s log (its levels ERR
// and WRN, colours stripped).
func k9sErrors(log string) []string {
	var out []string
	for _, line := range strings.Split(ansiColour.ReplaceAllString(log, ""), "\n") {
		if f := strings.Fields(line); len(f) > 1 && (f[1] == "ERR" || f[1] == "WRN") {
			out = append(out, line)
		}
	}
	return out
}

var ansiColour = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// TestK9sListsPodsAndNodes runs the real k9s against the simulation: its
// pods view lists the Deployment's pods Running, its nodes view the nodes
// Ready, and its log records neither an error nor a warning (an API
// request the server failed, a refused access review, no metrics).
func TestK9sListsPodsAndNodes(t *testing.T) {
	f, k := newKubectl(t, fixtureOpts{})
	k.apply(nginxWeb(2))
	require.NoError(t, f.sess.RunFor(time.Minute))
	pods := strings.Fields(k.ok("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].metadata.name}"))
	require.Len(t, pods, 2)

	want := []*regexp.Regexp{regexp.MustCompile(`pods\(default\)\[2\]`), regexp.MustCompile(`NAME\S*\s+PF\s+READY\s+STATUS\s+RESTARTS\s`)}
	for _, p := range pods {
		want = append(want, regexp.MustCompile(regexp.QuoteMeta(p)+`\s+\S+\s+1/1\s+Running\s+0\s`))
	}
	screen, log := k9sScreen(t, k.config, "pods", want...)
	require.Empty(t, k9sErrors(log), "k9s's log:\n%s", log)
	require.Contains(t, ansiColour.ReplaceAllString(log, ""), "Kubernetes connectivity OK")
	t.Logf("pods view:\n%s", screen)

	want = []*regexp.Regexp{regexp.MustCompile(`nodes\(all\)\[3\]`), regexp.MustCompile(`NAME\S*\s+STATUS\s+ROLE`)}
	for _, n := range []string{"general-1", "general-2", "general-3"} {
		want = append(want, regexp.MustCompile(`(?m)^\W*`+n+`\s+Ready\s`))
	}
	screen, log = k9sScreen(t, k.config, "nodes", want...)
	require.Empty(t, k9sErrors(log), "k9s's log:\n%s", log)
	t.Logf("nodes view:\n%s", screen)
}

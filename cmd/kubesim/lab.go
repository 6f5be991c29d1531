package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubesim/kubesim/kubeapi"
	"github.com/kubesim/kubesim/lab"
)

func init() { extraCommands = append(extraCommands, newLabCmd) }

// labState is what `kubesim lab start` leaves in the lab directory so that
// commands from other terminals reach the running lab.
type labState struct {
	PID        int    `json:"pid"`
	Lab        string `json:"lab"`
	Exam       bool   `json:"exam"`
	Control    string `json:"control"`
	Token      string `json:"token"`
	Kubeconfig string `json:"kubeconfig"`
	Started    string `json:"started"`
}

const labStateFile = "lab.json"

// defaultLabDir is where the running lab's state lives: $KUBESIM_LAB_DIR,
// else ~/.kubesim/lab.
func defaultLabDir() string {
	if d := os.Getenv("KUBESIM_LAB_DIR"); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".kubesim", "lab")
	}
	return ".kubesim-lab"
}

func newLabCmd() *cobra.Command {
	dir := defaultLabDir()
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "CKA practice: labs with a task, automatic checks, hints and a mock exam",
		Long: `Practise for the CKA on a simulated EKS cluster, offline.

  kubesim lab list                   the built-in labs by CKA domain
  kubesim lab start NAME [--web]     run a lab: prints the task and the export KUBECONFIG line
  kubesim lab check                  (another terminal) each check: pass/fail, expected and found
  kubesim lab hint                   the next hint
  kubesim lab reset                  start the lab over
  kubesim lab solution               the recorded solution (kubectl commands)
  kubesim lab status                 the task, hints shown, score and time
  kubesim lab etcdctl snapshot save|restore NAME    etcdctl on the control plane
  kubesim lab ssh NODE systemctl stop|start|restart kubelet
  kubesim lab exam [--seed N]        a mock exam: 17 labs by domain weight, two hours
  kubesim lab task N | pause | resume | finish      during an exam

The running lab keeps its state in --dir (default $KUBESIM_LAB_DIR or
~/.kubesim/lab), so the commands work from any terminal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&dir, "dir", dir, "the running lab's state directory")
	dirOf := func() string { return dir }
	cmd.AddCommand(newLabListCmd(), newLabStartCmd(dirOf), newLabExamCmd(dirOf), newLabValidateCmd())
	cmd.AddCommand(labClientCmd(dirOf, "check", "Check the running lab: each check pass or fail, with what was expected and found (exit 1 unless all pass)", printCheck))
	cmd.AddCommand(labClientCmd(dirOf, "hint", "Show the next hint of the running lab", printHints))
	cmd.AddCommand(labClientCmd(dirOf, "reset", "Start the running lab over from its scenario", func(out io.Writer, s lab.Status) error {
		fmt.Fprintf(out, "lab %s reset: the cluster is back at its start (time on the lab: %s)\n", s.Lab, s.Elapsed)
		return nil
	}))
	cmd.AddCommand(labClientCmd(dirOf, "status", "Show the running lab's task, hints, score and time", printStatus))
	cmd.AddCommand(labClientCmd(dirOf, "solution", "Show the running lab's recorded solution", printSolution), labDoCmd(dirOf, "etcdctl"), labDoCmd(dirOf, "ssh"))
	cmd.AddCommand(newLabTaskCmd(dirOf))
	for _, verb := range []string{"pause", "resume"} {
		cmd.AddCommand(labClientCmd(dirOf, verb, strings.ToUpper(verb[:1])+verb[1:]+" the exam's timer (and the cluster)", printStatus))
	}
	cmd.AddCommand(labClientCmd(dirOf, "finish", "End the exam and grade it: points per task and domain, and the 66% pass mark", printGrade))
	return cmd
}

func newLabListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the built-in labs by CKA domain",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			labs, err := lab.Library()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			for _, d := range lab.Domains {
				n := 0
				for _, l := range labs {
					if l.Domain == d.Name {
						n++
					}
				}
				fmt.Fprintf(tw, "%s (%d%% of the exam, %d labs)\n", d.Title, d.Weight, n)
				for _, l := range labs {
					if l.Domain == d.Name {
						fmt.Fprintf(tw, "  %s\t%d pts\t%s\n", l.Name, l.Points, l.Title)
					}
				}
			}
			return tw.Flush()
		},
	}
}

func newLabValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check lab files (exit 2 with file:line:column messages when one is wrong)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var errs []string
			for _, a := range args {
				l, err := lab.Resolve(a)
				if err != nil {
					errs = append(errs, err.Error())
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: lab %s: %d checks, %d hints, %d solution steps\n", a, l.Name, len(l.Checks), len(l.Hints), len(l.Solution))
			}
			if len(errs) > 0 {
				return badInput(errors.New(strings.Join(errs, "\n")))
			}
			return nil
		},
	}
}

type labStartFlags struct {
	liveFlags // --paused is not offered: a lab starts when its scenario has warmed up
	listen    string
	web       bool
	webListen string
	// exam
	examSeed string
	duration time.Duration
}

func newLabStartCmd(dir func() string) *cobra.Command {
	f := labStartFlags{liveFlags: liveFlags{speed: "1"}}
	cmd := &cobra.Command{
		Use:   "start NAME|FILE",
		Short: "Run a lab: its cluster behind the Kubernetes API, the task, and the export KUBECONFIG line",
		Example: `  kubesim lab start broken-image
  kubesim lab start etcd-backup-restore --web
  kubesim lab start ./my-lab.yaml --speed 5`,
		Args: takesArgs(1, 1, "lab start takes one lab name or file (see kubesim lab list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := lab.Resolve(args[0])
			if err != nil {
				return badInput(err)
			}
			return runLab(cmd.Context(), cmd.OutOrStdout(), dir(), []*lab.Lab{l}, f, false)
		},
	}
	addLabRunFlags(cmd, &f)
	cmd.Flags().StringVar(&f.seed, "seed", "", seedUsage)
	return cmd
}

func addLabRunFlags(cmd *cobra.Command, f *labStartFlags) {
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:0", "address of the Kubernetes API (loopback; port 0: any free port)")
	cmd.Flags().BoolVar(&f.web, "web", false, "print the web page's address: the task, hints and live checks beside the cluster")
	cmd.Flags().StringVar(&f.webListen, "web-listen", "127.0.0.1:0", "address of the web page and the lab's control API (loopback)")
	cmd.Flags().StringVar(&f.speed, "speed", f.speed, "virtual seconds per wall second once the lab starts (1: a real cluster's pace)")
}

func newLabExamCmd(dir func() string) *cobra.Command {
	f := labStartFlags{liveFlags: liveFlags{speed: "1"}, duration: lab.ExamDuration}
	cmd := &cobra.Command{
		Use:   "exam",
		Short: "A mock CKA exam: 17 labs drawn by domain weight (seeded), a two-hour pausable timer, a graded result",
		Long: `Draw 17 labs covering the CKA domains by their exam weights (--seed gives the same
exam to a whole class), serve them one at a time behind one API (switch with
kubesim lab task N), and grade every task when the time runs out or on
kubesim lab finish: points per task and per domain, and the 66% pass mark.
No checks, hints or solutions until the end, as in the exam.`,
		Example: `  kubesim lab exam --seed 2026
  kubesim lab task 3            # from another terminal
  kubesim lab pause; kubesim lab resume
  kubesim lab finish`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			seed := uint64(time.Now().UnixNano())
			if f.examSeed != "" {
				s, err := strconv.ParseUint(f.examSeed, 10, 64)
				if err != nil {
					return badInput(fmt.Errorf("--seed must be a non-negative integer, not %q", f.examSeed))
				}
				seed = s
			}
			if f.duration <= 0 {
				return badInput(fmt.Errorf("--duration must be positive"))
			}
			labs, err := lab.Library()
			if err != nil {
				return err
			}
			exam := lab.DrawExam(labs, seed)
			fmt.Fprintf(cmd.OutOrStdout(), "Mock exam (seed %d): %d tasks, %s\n", seed, len(exam), f.duration)
			return runLab(cmd.Context(), cmd.OutOrStdout(), dir(), exam, f, true)
		},
	}
	addLabRunFlags(cmd, &f)
	cmd.Flags().StringVar(&f.examSeed, "seed", "", "draw the exam with this seed (the same seed gives the same exam; default: from the clock)")
	cmd.Flags().DurationVar(&f.duration, "duration", f.duration, "the exam's time limit")
	return cmd
}

// runLab serves the labs until ctx ends (or an exam's time runs out and
// it is graded).
func runLab(ctx context.Context, out io.Writer, dir string, labs []*lab.Lab, f labStartFlags, exam bool) error {
	opts, err := f.options()
	if err != nil {
		return err
	}
	for _, addr := range []string{f.listen, f.webListen} {
		if !kubeapi.IsLoopback(addr) {
			return badInput(fmt.Errorf("a lab listens on a loopback address (127.0.0.1:PORT), not %q", addr))
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return badInput(fmt.Errorf("cannot create the lab directory: %w", err))
	}
	if st, err := readLabState(dir); err == nil {
		if c, err := dialLab(st); err == nil {
			c.Close()
			return badInput(fmt.Errorf("a lab (%s) is already running from %s (pid %d); stop it first or use another --dir", st.Lab, dir, st.PID))
		}
	}
	ln, err := listen(f.listen)
	if err != nil {
		return err
	}
	cln, err := listen(f.webListen)
	if err != nil {
		ln.Close()
		return err
	}
	r := lab.NewRunner(labs, lab.Options{Speed: opts.Speed, Seed: opts.Seed, Exam: exam, ExamDuration: f.duration})
	served, err := lab.ServeAPI(r, ln)
	if err != nil {
		ln.Close()
		cln.Close()
		return &exitError{3, err}
	}
	defer r.Close()
	token := kubeapi.NewToken()
	control := &http.Server{Handler: r.ControlHandler(token), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- control.Serve(cln) }()
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc, served.Kubeconfig, 0o600); err != nil {
		return badInput(fmt.Errorf("cannot write the kubeconfig: %w", err))
	}
	kc, _ = filepath.Abs(kc)
	st := labState{PID: os.Getpid(), Lab: labs[0].Name, Exam: exam, Control: "http://" + cln.Addr().String(), Token: token,
		Kubeconfig: kc, Started: time.Now().UTC().Format(time.RFC3339)}
	if err := writeLabState(dir, st); err != nil {
		return badInput(err)
	}
	defer os.Remove(filepath.Join(dir, labStateFile))

	if exam {
		s := r.Status()
		printOverview(out, s)
		fmt.Fprintf(out, "\nTask 1 is open. Switch with `kubesim lab task N`; pause the timer with `kubesim lab pause`;\nend with `kubesim lab finish` (the exam is graded when the time runs out).\n")
	} else {
		printTask(out, r.Status())
		fmt.Fprintf(out, "\nCheck your work with `kubesim lab check`; `kubesim lab hint` for a hint; `kubesim lab reset` to start over.\n")
	}
	if f.web {
		fmt.Fprintf(out, "Web page (task, hints, live checks and the cluster): %s/lab\n", st.Control)
	}
	fmt.Fprintf(out, "\nexport KUBECONFIG=%s\n", kc)

	var timeUp <-chan *lab.ExamResult
	if exam {
		ch := make(chan *lab.ExamResult, 1)
		go func() { ch <- r.WatchTime(ctx, time.Second) }()
		timeUp = ch
	}
	select {
	case err := <-errc:
		return err
	case err := <-served.Err():
		return err
	case res := <-timeUp:
		if res != nil {
			fmt.Fprintf(out, "\nTime is up.\n")
			printExamResult(out, res)
		}
	case <-ctx.Done():
	}
	r.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = control.Shutdown(sctx)
	return served.Close(sctx)
}

func writeLabState(dir string, st labState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, labStateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("cannot write the lab state: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, labStateFile))
}

func readLabState(dir string) (labState, error) {
	var st labState
	b, err := os.ReadFile(filepath.Join(dir, labStateFile))
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(b, &st)
}

func dialLab(st labState) (net.Conn, error) {
	return net.DialTimeout("tcp", strings.TrimPrefix(st.Control, "http://"), 2*time.Second)
}

// labCall calls the running lab's control API; out decodes the answer.
func labCall(ctx context.Context, dir, method, path string, body, out any) error {
	st, err := readLabState(dir)
	if err != nil {
		return badInput(fmt.Errorf("no lab is running from %s (start one with `kubesim lab start NAME`)", dir))
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, st.Control+"/lab/api/"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set(lab.TokenHeader, st.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return badInput(fmt.Errorf("the lab started from %s (pid %d) does not answer: %v (start it again with `kubesim lab start %s`)", dir, st.PID, err, st.Lab))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return badInput(errors.New(e.Error))
		}
		return badInput(fmt.Errorf("the lab answered %s", resp.Status))
	}
	return json.Unmarshal(data, out)
}

// printCheck prints each check's verdict and the score; exit 1 unless
// every check passes.
func printCheck(out io.Writer, s lab.Status) error {
	pass := 0
	for _, r := range s.Results {
		mark := "FAIL"
		if r.Pass {
			mark, pass = "PASS", pass+1
		}
		name := r.Name
		if r.Constraint {
			name += " (held from the start: must stay true)"
		}
		fmt.Fprintf(out, "%s  %s\n", mark, name)
		if !r.Pass {
			fmt.Fprintf(out, "      expected: %s\n      found:    %s\n", r.Expected, r.Found)
		}
	}
	fmt.Fprintf(out, "\n%d/%d checks pass · score %s/%d · %d hints used · time on the lab %s (cluster time %s)\n",
		pass, len(s.Results), fmtPoints(s.Score), s.Points, len(s.Hints), s.Elapsed, s.Virtual)
	if pass != len(s.Results) {
		return &exitError{1, nil}
	}
	fmt.Fprintln(out, "Lab complete.")
	return nil
}

func fmtPoints(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

// labClientCmd is a command that calls the running lab's verb (GET for
// status, POST otherwise) and prints its answer.
func labClientCmd[T any](dir func() string, verb, short string, print func(io.Writer, T) error) *cobra.Command {
	method := http.MethodPost
	if verb == "status" {
		method = http.MethodGet
	}
	return &cobra.Command{
		Use:   verb,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var answer T
			if err := labCall(cmd.Context(), dir(), method, verb, nil, &answer); err != nil {
				return err
			}
			return print(cmd.OutOrStdout(), answer)
		},
	}
}

func printHints(out io.Writer, s lab.Status) error {
	for i, h := range s.Hints {
		fmt.Fprintf(out, "Hint %d/%d: %s\n", i+1, s.HintsTotal, h)
	}
	if len(s.Hints) == s.HintsTotal {
		fmt.Fprintln(out, "(that was the last hint; `kubesim lab solution` shows the solution)")
	}
	return nil
}

func printTask(out io.Writer, s lab.Status) {
	d, _ := lab.LookupDomain(s.Domain)
	if s.Exam {
		fmt.Fprintf(out, "Task %d/%d — ", s.Task, s.Tasks)
	} else {
		fmt.Fprintf(out, "Lab %s — ", s.Lab)
	}
	fmt.Fprintf(out, "%s\n%s · %d points\n\n%s\n", s.Title, d.Title, s.Points, s.Statement)
}

func printStatus(out io.Writer, s lab.Status) error {
	printTask(out, s)
	for i, h := range s.Hints {
		fmt.Fprintf(out, "\nHint %d/%d: %s\n", i+1, s.HintsTotal, h)
	}
	fmt.Fprintf(out, "\nTime on the lab %s (cluster time %s) · %d checks · %d resets", s.Elapsed, s.Virtual, s.Checks, s.Resets)
	if len(s.Results) > 0 {
		fmt.Fprintf(out, " · last score %s/%d", fmtPoints(s.Score), s.Points)
	}
	if s.Exam {
		state := "time left " + s.TimeLeft
		if s.Paused {
			state += " (paused)"
		}
		if s.Finished {
			state = "finished"
		}
		fmt.Fprintf(out, " · exam %s", state)
	}
	fmt.Fprintln(out)
	return nil
}

func printOverview(out io.Writer, s lab.Status) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tPOINTS\tDOMAIN\tTITLE")
	for _, t := range s.Overview {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\n", t.Task, t.Points, t.Domain, t.Title)
	}
	_ = tw.Flush()
}

// printSolution prints the solution's steps as shell lines (a step's
// standard input as a here-document).
func printSolution(out io.Writer, steps []lab.Step) error {
	for _, s := range steps {
		if s.Stdin != "" {
			fmt.Fprintf(out, "%s <<'EOF'\n%sEOF\n", s.Run, withNewline(s.Stdin))
			continue
		}
		fmt.Fprintln(out, s.Run)
	}
	return nil
}

func withNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// labDoCmd runs etcdctl or ssh on the running lab's machines.
func labDoCmd(dir func() string, name string) *cobra.Command {
	use := map[string]string{"etcdctl": "etcdctl snapshot save|restore NAME", "ssh": "ssh NODE systemctl stop|start|restart kubelet"}[name]
	short := map[string]string{"etcdctl": "etcdctl on the lab's control plane: save or restore a snapshot",
		"ssh": "Run systemctl on a lab node's kubelet"}[name]
	return &cobra.Command{
		Use:                use,
		Short:              short,
		DisableFlagParsing: true, // etcdctl's own flags (--endpoints, --cacert ...) are accepted and unused
		RunE: func(cmd *cobra.Command, args []string) error {
			var res struct{ Output string }
			if err := labCall(cmd.Context(), dir(), http.MethodPost, "do", map[string]any{"args": append([]string{name}, args...)}, &res); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.Output)
			return nil
		},
	}
}

func newLabTaskCmd(dir func() string) *cobra.Command {
	return &cobra.Command{
		Use:   "task [N]",
		Short: "During an exam: show the current task, or switch to task N",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var s lab.Status
			if len(args) == 0 {
				if err := labCall(cmd.Context(), dir(), http.MethodGet, "status", nil, &s); err != nil {
					return err
				}
				return printStatus(cmd.OutOrStdout(), s)
			}
			n, err := strconv.Atoi(args[0])
			if err != nil {
				return badInput(fmt.Errorf("task takes a task number, not %q", args[0]))
			}
			if err := labCall(cmd.Context(), dir(), http.MethodPost, "goto", map[string]int{"task": n}, &s); err != nil {
				return err
			}
			printTask(cmd.OutOrStdout(), s)
			return nil
		},
	}
}

// printGrade prints the exam's result; exit 1 unless it passed.
func printGrade(out io.Writer, res lab.ExamResult) error {
	printExamResult(out, &res)
	if !res.Passed {
		return &exitError{1, nil}
	}
	return nil
}

func printExamResult(out io.Writer, res *lab.ExamResult) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tLAB\tDOMAIN\tPOINTS")
	for _, t := range res.Tasks {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s/%d\n", t.Task, t.Lab, t.Domain, fmtPoints(t.Points), t.Of)
	}
	fmt.Fprintln(tw, "\nDOMAIN\tWEIGHT\tPOINTS\t")
	for _, d := range res.Domains {
		fmt.Fprintf(tw, "%s\t%d%%\t%s/%d\t\n", d.Title, d.Weight, fmtPoints(d.Points), d.Of)
	}
	_ = tw.Flush()
	verdict := "FAIL"
	if res.Passed {
		verdict = "PASS"
	}
	fmt.Fprintf(out, "\nScore %s/%d = %s%% (pass mark %d%%): %s · time used %s\n", fmtPoints(res.Points), res.Total,
		fmtPoints(res.Percent), lab.PassMark, verdict, res.Used)
}

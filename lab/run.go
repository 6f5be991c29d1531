package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/kubesim/kubesim/kubeapi"
	"github.com/kubesim/kubesim/live"
	"github.com/kubesim/kubesim/sim/cluster"
	"github.com/kubesim/kubesim/web"
)

// Options tune a Runner.
type Options struct {
	// Speed of virtual time once the learner has the cluster (default 1:
	// a real cluster's pace).
	Speed float64
	// Seed overrides every lab scenario's seed.
	Seed *uint64
	// Exam: the labs are a mock exam (no checks or hints until the end,
	// a timer of ExamDuration).
	Exam         bool
	ExamDuration time.Duration
	// Paused: the clusters do not run by themselves; the caller moves
	// virtual time with Session().RunFor (tests).
	Paused bool
	// Now is the wall clock (tests); default time.Now.
	Now func() time.Time
}

// forever is how long a lab's cluster runs: a lab has no end.
const forever = 100000 * time.Hour

// Runner runs one lab, or the labs of an exam one at a time, behind one
// Kubernetes API endpoint and one web page that follow the current lab.
type Runner struct {
	opts Options
	labs []*Lab

	// admin is the bearer token every lab's API server takes as
	// kubernetes-admin: the kubeconfig's, and the checks' client's.
	admin string

	mu      sync.Mutex
	insts   []*instance // one per lab, started on first visit
	cur     int
	exam    *examClock
	results *ExamResult
}

// instance is one lab's running cluster and the learner's progress on it.
type instance struct {
	lab     *Lab
	sess    *live.Session
	api     *kubeapi.Server
	web     *web.Server
	webH    http.Handler
	hints   int
	last    []Result
	checks  int
	started time.Time
	resets  int
	// client reads this lab's API (in process, through the same handler
	// kubectl reaches over TLS).
	client dynamic.Interface
	// baseline says which checks passed when the lab started: those are
	// constraints ("do not delete the Deployment"), worth no points by
	// themselves but breaking one loses the lab's points.
	baseline []bool
}

// NewRunner prepares labs (one, or an exam's); Start builds the first.
func NewRunner(labs []*Lab, opts Options) *Runner {
	if opts.Speed == 0 {
		opts.Speed = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Exam && opts.ExamDuration == 0 {
		opts.ExamDuration = ExamDuration
	}
	return &Runner{opts: opts, labs: labs, insts: make([]*instance, len(labs)), admin: kubeapi.NewToken()}
}

// AdminToken is the bearer token the labs' API takes as kubernetes-admin
// (system:masters), for the kubeconfig.
func (r *Runner) AdminToken() string { return r.admin }

// ExamDuration is the CKA's time limit.
const ExamDuration = 2 * time.Hour

// Start builds the first lab's cluster and runs it through its warm-up.
func (r *Runner) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.opts.Exam {
		r.exam = &examClock{limit: r.opts.ExamDuration, since: r.opts.Now()}
	}
	return r.visitLocked(0)
}

// Close stops every lab's cluster.
func (r *Runner) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, in := range r.insts {
		if in != nil {
			in.close()
			r.insts[i] = nil
		}
	}
}

func (in *instance) close() {
	in.web.Close()
	in.api.Close()
	in.sess.Close()
}

// build starts a lab's cluster at the end of its warm-up.
func (r *Runner) build(l *Lab) (*instance, error) {
	sess, err := live.New(l.Scenario, live.Options{Speed: r.opts.Speed, Seed: r.opts.Seed, Paused: true, Until: forever})
	if err != nil {
		return nil, fmt.Errorf("lab %s: cannot start its scenario: %w", l.Name, err)
	}
	if err := sess.RunFor(l.Warmup); err != nil {
		sess.Close()
		return nil, fmt.Errorf("lab %s: its scenario stopped during the warm-up: %w", l.Name, err)
	}
	if !r.opts.Paused {
		sess.Start()
	}
	ws := web.New(sess, web.Options{LoopbackOnly: true, DisableLoad: true, SameOriginFrames: true})
	api := kubeapi.New(sess, kubeapi.Options{AdminToken: r.admin})
	client, err := dynamic.NewForConfig(&rest.Config{Host: "http://127.0.0.1", Transport: handlerTransport{api}, BearerToken: r.admin,
		UserAgent: "kubesim-lab-check", QPS: -1})
	if err != nil {
		ws.Close()
		api.Close()
		return nil, err
	}
	in := &instance{lab: l, sess: sess, api: api, web: ws, webH: ws.Handler(), started: r.opts.Now(), client: client}
	for _, res := range Evaluate(context.Background(), in.target(), l.Checks) {
		in.baseline = append(in.baseline, res.Pass)
	}
	return in, nil
}

// handlerTransport sends a client's requests straight to an API handler.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

func (in *instance) target() Target {
	return Target{Client: in.client, Etcd: func() EtcdState { return etcdState(in.sess) }}
}

// visitLocked makes lab i the current one: its cluster runs, the others'
// are paused.
func (r *Runner) visitLocked(i int) error {
	if i < 0 || i >= len(r.labs) {
		return fmt.Errorf("there is no task %d (tasks 1 to %d)", i+1, len(r.labs))
	}
	if r.insts[i] == nil {
		in, err := r.build(r.labs[i])
		if err != nil {
			return err
		}
		r.insts[i] = in
	}
	if old := r.insts[r.cur]; old != nil && r.cur != i {
		old.sess.Pause()
	}
	r.cur = i
	if (r.exam == nil || !r.exam.paused) && !r.opts.Paused {
		r.insts[i].sess.Resume()
	}
	return nil
}

func (r *Runner) current() *instance {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.insts[r.cur]
}

// APIHandler serves the Kubernetes API of the current lab.
func (r *Runner) APIHandler() http.Handler {
	return r.toCurrent(func(in *instance) http.Handler { return in.api })
}

// toCurrent serves each request with the handler of the lab current at
// that moment (a reset or the next exam task replaces it), 503 once the
// runner is closing.
func (r *Runner) toCurrent(handler func(*instance) http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		in := r.current()
		if in == nil {
			http.Error(w, "the lab is stopping", http.StatusServiceUnavailable)
			return
		}
		handler(in).ServeHTTP(w, req)
	})
}

// Check evaluates the current lab's checks through the API; count says
// whether the learner asked (the page's live checks do not count).
func (r *Runner) Check(ctx context.Context, count bool) (Status, error) {
	r.mu.Lock()
	if r.exam != nil && r.results == nil {
		r.mu.Unlock()
		return Status{}, errors.New("this is an exam: the checks run when it ends (kubesim lab finish)")
	}
	in := r.insts[r.cur]
	r.mu.Unlock()
	res := r.evaluate(ctx, in)
	r.mu.Lock()
	in.last = res
	if count {
		in.checks++
	}
	r.mu.Unlock()
	return r.Status(), nil
}

func (r *Runner) evaluate(ctx context.Context, in *instance) []Result {
	res := Evaluate(ctx, in.target(), in.lab.Checks)
	for i := range res {
		res[i].Constraint = in.baseline[i]
	}
	return res
}

// etcdState reads the snapshots the control plane holds and the
// snapshots restored in the lab, in order.
func etcdState(sess *live.Session) EtcdState {
	var st EtcdState
	sess.With(func(c *cluster.Cluster) { st.Snapshots = c.Etcd.SnapshotNames() })
	for _, rec := range sess.Recorded() {
		if rec.Err == "" && rec.Command.Verb == "etcd-restore" && !slices.Contains(st.Restored, rec.Command.Member) {
			st.Restored = append(st.Restored, rec.Command.Member)
		}
	}
	return st
}

// Hint reveals the next hint of the current lab (the ones shown so far
// and whether there are more).
func (r *Runner) Hint() (Status, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exam != nil && r.results == nil {
		return Status{}, errors.New("this is an exam: no hints")
	}
	in := r.insts[r.cur]
	if len(in.lab.Hints) == 0 {
		return Status{}, errors.New("this lab has no hints")
	}
	if in.hints < len(in.lab.Hints) {
		in.hints++
	}
	return r.statusLocked(), nil
}

// Reset starts the current lab over from its scenario (hints shown and
// the time are kept: they are the learner's, not the cluster's).
func (r *Runner) Reset() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.insts[r.cur]
	in, err := r.build(old.lab)
	if err != nil {
		return err
	}
	in.hints, in.started, in.checks, in.resets = old.hints, old.started, old.checks, old.resets+1
	r.insts[r.cur] = in
	old.close()
	// build leaves the new cluster paused after its warm-up, as for a
	// lab not yet visited: it runs unless the exam's clock is stopped.
	if (r.exam == nil || !r.exam.paused) && !r.opts.Paused {
		in.sess.Resume()
	}
	return nil
}

// Goto switches the exam to task i (0-based).
func (r *Runner) Goto(i int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.results != nil {
		return errors.New("the exam is over")
	}
	return r.visitLocked(i)
}

// Do runs one of the lab's node-level commands: `etcdctl snapshot
// save|restore NAME` on the control plane, `ssh NODE systemctl
// stop|start|restart kubelet` on a worker. It returns what it printed.
func (r *Runner) Do(args []string) (string, error) {
	in := r.current()
	if len(args) == 0 {
		return "", errors.New("nothing to run")
	}
	switch args[0] {
	case "etcdctl":
		return etcdctl(in.sess, args[1:])
	case "ssh":
		return ssh(in.sess, args[1:])
	}
	return "", fmt.Errorf("unknown command %q (etcdctl, ssh)", args[0])
}

func etcdctl(sess *live.Session, args []string) (string, error) {
	var words []string
	for _, a := range args { // connection flags are accepted and unused: there is one cluster
		if !strings.HasPrefix(a, "--") {
			words = append(words, a)
		}
	}
	usage := errors.New("usage: etcdctl snapshot save NAME | etcdctl snapshot restore NAME")
	if len(words) != 3 || words[0] != "snapshot" {
		return "", usage
	}
	switch words[1] {
	case "save":
		if _, err := sess.Do(live.Command{Verb: "etcd-snapshot", Member: words[2]}); err != nil {
			return "", err
		}
		return "Snapshot saved at " + words[2], nil
	case "restore":
		if _, err := sess.Do(live.Command{Verb: "etcd-restore", Member: words[2]}); err != nil {
			return "", err
		}
		return "restored snapshot " + words[2] + " (the API server, controllers and kubelets resynchronise)", nil
	}
	return "", usage
}

func ssh(sess *live.Session, args []string) (string, error) {
	usage := errors.New("usage: ssh NODE systemctl stop|start|restart kubelet")
	if len(args) < 1 {
		return "", usage
	}
	node, rest := args[0], args[1:]
	if len(rest) > 0 && rest[0] == "sudo" {
		rest = rest[1:]
	}
	if len(rest) != 3 || rest[0] != "systemctl" || rest[2] != "kubelet" {
		return "", usage
	}
	var verb string
	switch rest[1] {
	case "stop":
		verb = "fail"
	case "start", "restart":
		verb = "recover"
	default:
		return "", usage
	}
	out, err := sess.Do(live.Command{Verb: verb, Node: node})
	if err != nil {
		return out, fmt.Errorf("%s: %w", node, err)
	}
	return fmt.Sprintf("%s: kubelet %s", node, map[string]string{"stop": "stopped", "start": "started", "restart": "restarted"}[rest[1]]), nil
}

// examClock is the exam's pausable timer.
type examClock struct {
	limit  time.Duration
	used   time.Duration // before since
	since  time.Time     // when the clock last started (if not paused)
	paused bool
}

func (c *examClock) left(now time.Time) time.Duration {
	used := c.used
	if !c.paused {
		used += now.Sub(c.since)
	}
	return max(c.limit-used, 0)
}

// Pause stops the exam's timer and the current task's cluster.
func (r *Runner) Pause() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exam == nil || r.results != nil {
		return errors.New("no exam is running")
	}
	if !r.exam.paused {
		r.exam.used += r.opts.Now().Sub(r.exam.since)
		r.exam.paused = true
		r.insts[r.cur].sess.Pause()
	}
	return nil
}

// Resume restarts the exam's timer.
func (r *Runner) Resume() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exam == nil || r.results != nil {
		return errors.New("no exam is running")
	}
	if r.exam.paused {
		r.exam.paused, r.exam.since = false, r.opts.Now()
		r.insts[r.cur].sess.Resume()
	}
	return nil
}

// TimeUp reports whether the exam's time ran out.
func (r *Runner) TimeUp() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exam != nil && r.results == nil && r.exam.left(r.opts.Now()) == 0
}

// ExamResult is a finished exam: points per task and per domain.
type ExamResult struct {
	Tasks   []TaskResult   `json:"tasks"`
	Domains []DomainResult `json:"domains"`
	Points  float64        `json:"points"`
	Total   int            `json:"total"`
	Percent float64        `json:"percent"`
	Passed  bool           `json:"passed"`
	Used    string         `json:"timeUsed"`
}

// TaskResult is one exam task's grade.
type TaskResult struct {
	Task    int      `json:"task"`
	Lab     string   `json:"lab"`
	Domain  string   `json:"domain"`
	Points  float64  `json:"points"`
	Of      int      `json:"of"`
	Results []Result `json:"results"`
}

// DomainResult sums a domain's tasks.
type DomainResult struct {
	Domain string  `json:"domain"`
	Title  string  `json:"title"`
	Weight int     `json:"weight"`
	Points float64 `json:"points"`
	Of     int     `json:"of"`
}

// PassMark is the CKA's passing score, in percent.
const PassMark = 66

// Finish grades every task of the exam (a task never opened scores 0).
func (r *Runner) Finish(ctx context.Context) (*ExamResult, error) {
	r.mu.Lock()
	if r.exam == nil {
		r.mu.Unlock()
		return nil, errors.New("no exam is running")
	}
	if r.results != nil {
		defer r.mu.Unlock()
		return r.results, nil
	}
	used := r.exam.limit - r.exam.left(r.opts.Now())
	insts := slices.Clone(r.insts)
	r.mu.Unlock()
	res := &ExamResult{Used: used.Round(time.Second).String()}
	for i, l := range r.labs {
		tr := TaskResult{Task: i + 1, Lab: l.Name, Domain: l.Domain, Of: l.Points}
		if in := insts[i]; in != nil {
			tr.Results = r.evaluate(ctx, in)
			tr.Points = Score(l.Points, tr.Results)
		}
		res.Tasks = append(res.Tasks, tr)
		res.Points += tr.Points
		res.Total += l.Points
	}
	for _, d := range Domains {
		dr := DomainResult{Domain: d.Name, Title: d.Title, Weight: d.Weight}
		for _, t := range res.Tasks {
			if t.Domain == d.Name {
				dr.Points += t.Points
				dr.Of += t.Of
			}
		}
		if dr.Of > 0 {
			res.Domains = append(res.Domains, dr)
		}
	}
	if res.Total > 0 {
		res.Percent = math.Round(1000*res.Points/float64(res.Total)) / 10
	}
	res.Passed = res.Percent >= PassMark
	r.mu.Lock()
	r.results = res
	for _, in := range r.insts {
		if in != nil {
			in.sess.Pause()
		}
	}
	r.mu.Unlock()
	return res, nil
}

// Score is a lab's points earned for its check results: a share of the
// points for each check that passes and did not pass when the lab started,
// rounded to a tenth; nothing if a constraint (a check that passed at the
// start) is broken.
func Score(points int, results []Result) float64 {
	progress, pass := 0, 0
	for _, r := range results {
		switch {
		case r.Constraint && !r.Pass:
			return 0
		case r.Constraint:
		case r.Pass:
			progress, pass = progress+1, pass+1
		default:
			progress++
		}
	}
	if progress == 0 {
		return 0
	}
	return math.Round(10*float64(points)*float64(pass)/float64(progress)) / 10
}

// Status is what the learner sees of the current lab.
type Status struct {
	Task       int      `json:"task"` // 1-based, in an exam
	Tasks      int      `json:"tasks"`
	Lab        string   `json:"lab"`
	Title      string   `json:"title"`
	Domain     string   `json:"domain"`
	Points     int      `json:"points"`
	Statement  string   `json:"statement"`
	Hints      []string `json:"hints"`
	HintsTotal int      `json:"hintsTotal"`
	Results    []Result `json:"results,omitempty"`
	Score      float64  `json:"score"`
	Checks     int      `json:"checks"`
	Resets     int      `json:"resets"`
	Elapsed    string   `json:"elapsed"`
	Virtual    string   `json:"virtualTime"`
	Exam       bool     `json:"exam"`
	TimeLeft   string   `json:"timeLeft,omitempty"`
	Paused     bool     `json:"paused,omitempty"`
	Finished   bool     `json:"finished,omitempty"`
	// Overview lists an exam's tasks.
	Overview []TaskInfo `json:"overview,omitempty"`
}

// TaskInfo is one task of an exam's overview.
type TaskInfo struct {
	Task   int    `json:"task"`
	Lab    string `json:"lab"`
	Title  string `json:"title"`
	Domain string `json:"domain"`
	Points int    `json:"points"`
}

// Status reports the current lab.
func (r *Runner) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.statusLocked()
}

func (r *Runner) statusLocked() Status {
	in := r.insts[r.cur]
	l := in.lab
	s := Status{Task: r.cur + 1, Tasks: len(r.labs), Lab: l.Name, Title: l.Title, Domain: l.Domain, Points: l.Points,
		Statement: l.Task, Hints: slices.Clone(l.Hints[:in.hints]), HintsTotal: len(l.Hints), Results: in.last,
		Score: Score(l.Points, in.last), Checks: in.checks, Resets: in.resets,
		Elapsed: r.opts.Now().Sub(in.started).Round(time.Second).String(),
		Virtual: in.sess.Snapshot().Time.Round(time.Second).String(), Exam: r.exam != nil}
	if s.Hints == nil {
		s.Hints = []string{}
	}
	if r.exam != nil {
		s.TimeLeft = r.exam.left(r.opts.Now()).Round(time.Second).String()
		s.Paused = r.exam.paused
		s.Finished = r.results != nil
		for i, l := range r.labs {
			s.Overview = append(s.Overview, TaskInfo{Task: i + 1, Lab: l.Name, Title: l.Title, Domain: l.Domain, Points: l.Points})
		}
	}
	return s
}

// Current is the lab on screen now.
func (r *Runner) Current() *Lab { return r.current().lab }

// Session is the current lab's running simulation (tests).
func (r *Runner) Session() *live.Session { return r.current().sess }

// WebHandler serves the web UI of the current lab's cluster.
func (r *Runner) WebHandler() http.Handler {
	return r.toCurrent(func(in *instance) http.Handler { return in.webH })
}

package kubectl

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubesim/kubesim/sim/apiserver"
)

// Drain timings of kubectl (k8s.io/kubectl/pkg/drain).
const (
	// EvictRetryDelay is how long drain waits after a 429 (PDB) before
	// evicting the pod again.
	EvictRetryDelay = 5 * time.Second
	// DeletePollInterval is how often drain checks evicted pods are gone.
	DeletePollInterval = time.Second
)

// drainRun is one drain in progress: it lives on in engine timers after
// Run returned.
type drainRun struct {
	r         *runner
	node      string
	deadline  time.Duration // 0 = no --timeout
	tasks     []*evictTask
	remaining int
	errs      []string
	inRun     bool
	async     strings.Builder
}

// evictTask follows one pod through eviction (with retries) and the wait
// for it to be gone.
type evictTask struct {
	ns, name string
	uid      types.UID
	done     bool
}

// drain cordons the node and evicts its pods like kubectl drain. Refusals
// (DaemonSet pods without --ignore-daemonsets, unmanaged pods without
// --force, ...) end the drain in Run; otherwise evictions continue in
// virtual time and Env.Done reports the end.
func (r *runner) drain() (string, error) {
	if len(r.c.Targets) == 0 {
		r.c.Targets = r.targets()
	}
	if len(r.c.Targets) != 1 {
		return r.out.String(), errorf("drain one node at a time (got %d)", len(r.c.Targets))
	}
	d := &drainRun{r: r, node: r.c.Targets[0].Name, inRun: true}
	msg, err := r.setUnschedulable(d.node, true)
	if err != nil {
		return r.out.String(), serverError(err)
	}
	r.printf(msg)
	list := d.podsForDeletion()
	if errs := list.errorTexts(); len(errs) > 0 {
		return r.out.String(), &Error{Msg: d.unableToDrain(aggregate(errs))}
	}
	if w := list.warningText(); w != "" {
		r.printf("Warning: " + w)
	}
	if r.c.Timeout > 0 {
		d.deadline = r.env.Engine.Elapsed() + r.c.Timeout
	}
	d.start(list.pods)
	d.inRun = false
	return r.out.String(), nil
}

// unableToDrain is kubectl's report of a node it could not drain.
func (d *drainRun) unableToDrain(agg string) string {
	return fmt.Sprintf("error: unable to drain node %q due to error:%s, continuing command...\n"+
		"There are pending nodes to be drained:\n %s\n%s", d.node, agg, d.node, agg)
}

func (d *drainRun) print(line string) {
	if d.inRun {
		d.r.printf(line)
		return
	}
	d.async.WriteString(line + "\n")
	if d.r.env.Progress != nil {
		d.r.env.Progress(line + "\n")
	}
}

func (d *drainRun) start(pods []*corev1.Pod) {
	d.remaining = len(pods)
	for _, p := range pods {
		d.tasks = append(d.tasks, &evictTask{ns: p.Namespace, name: p.Name, uid: p.UID})
	}
	if len(pods) == 0 {
		d.r.env.Engine.After(0, "kubectl/drain", d.finish)
		return
	}
	if d.r.c.DisableEviction {
		d.deleteAll()
		return
	}
	for _, t := range d.tasks {
		d.evict(t)
	}
}

func (d *drainRun) timedOut() bool {
	return d.deadline > 0 && d.r.env.Engine.Elapsed() >= d.deadline
}

// evict is one eviction attempt of kubectl's per-pod loop.
func (d *drainRun) evict(t *evictTask) {
	d.print(fmt.Sprintf("evicting pod %s/%s", t.ns, t.name))
	if d.timedOut() {
		d.fail(t, fmt.Sprintf("error when evicting pods/%q -n %q: global timeout reached: %v", t.name, t.ns, d.r.c.Timeout))
		return
	}
	var opts apiserver.DeleteOptions
	if g := d.r.c.GracePeriod; g >= 0 {
		opts.GracePeriodSeconds = &g
	}
	err := d.r.env.Client.EvictWithOptions(t.ns, t.name, opts)
	switch {
	case err == nil:
		d.r.env.Engine.After(0, "kubectl/drain-wait", func() { d.poll(t) })
	case apierrors.IsNotFound(err):
		d.complete(t)
	case apierrors.IsTooManyRequests(err):
		d.print(fmt.Sprintf("error when evicting pods/%q -n %q (will retry after %v): %v", t.name, t.ns, EvictRetryDelay, err))
		d.r.env.Engine.After(EvictRetryDelay, "kubectl/drain-retry", func() { d.evict(t) })
	default:
		d.fail(t, fmt.Sprintf("error when evicting pods/%q -n %q: %v", t.name, t.ns, err))
	}
}

// deleteAll is --disable-eviction: plain deletes, bypassing PDBs.
func (d *drainRun) deleteAll() {
	var opts apiserver.DeleteOptions
	if g := d.r.c.GracePeriod; g >= 0 {
		opts.GracePeriodSeconds = &g
	}
	for _, t := range d.tasks {
		err := d.r.env.Client.Delete("Pod", t.ns, t.name, opts)
		if err != nil && !apierrors.IsNotFound(err) {
			d.fail(t, err.Error())
			continue
		}
		d.r.env.Engine.After(0, "kubectl/drain-wait", func() { d.poll(t) })
	}
}

// poll checks every second whether an evicted pod is gone (deleted, or
// replaced by a namesake with another UID).
func (d *drainRun) poll(t *evictTask) {
	if t.done {
		return
	}
	o, ok := d.r.st.Get("Pod", t.ns, t.name)
	if !ok || o.GetUID() != t.uid {
		verb := "evicted"
		if d.r.c.DisableEviction {
			verb = "deleted"
		}
		d.print(ref("Pod", t.name) + " " + verb)
		d.complete(t)
		return
	}
	if d.timedOut() {
		msg := "context deadline exceeded"
		if !d.r.c.DisableEviction {
			msg = fmt.Sprintf("error when waiting for pod %q in namespace %q to terminate: %s", t.name, t.ns, msg)
		}
		d.fail(t, msg)
		return
	}
	next := d.r.env.Engine.Elapsed() + DeletePollInterval
	if d.deadline > 0 && next > d.deadline {
		next = d.deadline
	}
	d.r.env.Engine.At(next, "kubectl/drain-wait", func() { d.poll(t) })
}

func (d *drainRun) complete(t *evictTask) {
	if t.done {
		return
	}
	t.done = true
	d.remaining--
	if d.remaining == 0 {
		d.r.env.Engine.After(0, "kubectl/drain", d.finish)
	}
}

func (d *drainRun) fail(t *evictTask, msg string) {
	for _, e := range d.errs {
		if e == msg {
			d.complete(t)
			return
		}
	}
	d.errs = append(d.errs, msg)
	d.complete(t)
}

// finish prints kubectl's closing lines and reports through Env.Done.
func (d *drainRun) finish() {
	var err error
	if len(d.errs) == 0 {
		d.print(ref("Node", d.node) + " drained")
	} else {
		agg := aggregate(d.errs)
		var b strings.Builder
		if pending := d.podsForDeletion().pods; len(pending) > 0 {
			fmt.Fprintf(&b, "There are pending pods in node %q when an error occurred: %s\n", d.node, agg)
			for _, p := range pending {
				b.WriteString(ref("Pod", p.Name) + "\n")
			}
		}
		b.WriteString(d.unableToDrain(agg))
		err = &Error{Msg: b.String()}
	}
	if d.r.env.Done != nil {
		d.r.env.Done(d.async.String(), err)
	}
}

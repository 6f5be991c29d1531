package runner

import (
	"fmt"
	"io"
	"time"
)

// finishSummary fills the report's verdict and times in seconds.
func (rep *Report) finishSummary(end time.Duration) {
	rep.VirtualTimeSeconds = end.Seconds()
	rep.AllPassed = rep.Passed()
}

// WriteSummary prints the verdicts and the figures without the
// play-by-play (`kubesim run --summary`).
func (rep *Report) WriteSummary(w io.Writer) error {
	verdict := "PASS"
	if !rep.Passed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s  %s (seed %d): %s of virtual time, %d trace records, traceHash %s\n",
		verdict, rep.Scenario, rep.Seed, rep.VirtualTime, rep.Events, rep.TraceHash)
	ready := 0
	for _, n := range rep.Nodes {
		if n.Ready {
			ready++
		}
	}
	fmt.Fprintf(w, "  nodes %d/%d Ready; pods Pending %d Running %d Succeeded %d Failed %d Unknown %d; etcd %d/%d healthy, quorum %v\n",
		ready, len(rep.Nodes), rep.Pods["Pending"], rep.Pods["Running"], rep.Pods["Succeeded"], rep.Pods["Failed"], rep.Pods["Unknown"],
		rep.Etcd.Healthy, rep.Etcd.Members, rep.Etcd.Quorum)
	for _, e := range rep.Expectations {
		v := "PASS"
		if !e.Passed {
			v = "FAIL"
		}
		line := fmt.Sprintf("  %s  line %d: %s", v, e.Line, e.Description)
		if e.AtSeconds != nil {
			line += " (at " + time.Duration(*e.AtSeconds*float64(time.Second)).Round(time.Millisecond).String() + ")"
		}
		if e.RecoverySeconds != nil {
			line += fmt.Sprintf(" recovered in %s", time.Duration(*e.RecoverySeconds*float64(time.Second)).Round(time.Millisecond))
		}
		if !e.Passed && e.Message != "" {
			line += ": " + e.Message
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

package runner

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText prints the report for a person: the play-by-play in
// `kubectl get events` form, the nodes with their packed pods, the
// workloads and the verdict on each expectation.
func (rep *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Scenario %s (seed %d): %s of virtual time, %d trace records\ntraceHash %s\n\n",
		rep.Scenario, rep.Seed, rep.VirtualTime, rep.Events, rep.TraceHash)

	fmt.Fprintln(w, "TIMELINE")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  TIME\tTYPE\tREASON\tOBJECT\tMESSAGE")
	for _, e := range rep.Timeline {
		msg := e.Message
		if e.Count > 1 {
			msg += fmt.Sprintf(" (x%d)", e.Count)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", clock(e.T), e.Type, e.Reason, e.Object, oneLine(msg))
	}
	tw.Flush()

	fmt.Fprintln(w, "\nNODES")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tZONE\tTYPE\tSTATUS\tCPU REQ/ALLOC\tMEMORY REQ/ALLOC\tPODS")
	for _, n := range rep.Nodes {
		status := "Ready"
		if !n.Ready {
			status = "NotReady"
		}
		if n.Unschedulable {
			status += ",SchedulingDisabled"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s/%s\t%s/%s\t%s/%s\n", n.Name, n.Zone, n.InstanceType, status,
			n.Requested["cpu"], n.Allocatable["cpu"], n.Requested["memory"], n.Allocatable["memory"], n.Requested["pods"], n.Allocatable["pods"])
	}
	tw.Flush()
	for _, n := range rep.Nodes {
		fmt.Fprintf(w, "  %s: %s\n", n.Name, strings.Join(rep.Placement[n.Name], " "))
	}

	fmt.Fprintln(w, "\nWORKLOADS")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  KIND\tNAMESPACE\tNAME\tDESIRED\tREADY\tUP-TO-DATE\tAVAILABLE")
	for _, wl := range rep.Workloads {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%d\t%d\n", wl.Kind, wl.Namespace, wl.Name, wl.Desired, wl.Ready, wl.Updated, wl.Available)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nPODS  Pending %d  Running %d  Succeeded %d  Failed %d  Unknown %d\n",
		rep.Pods["Pending"], rep.Pods["Running"], rep.Pods["Succeeded"], rep.Pods["Failed"], rep.Pods["Unknown"])
	if len(rep.PodStatus) > 0 {
		fmt.Fprint(w, "  STATUS")
		for _, s := range slices.Sorted(maps.Keys(rep.PodStatus)) {
			fmt.Fprintf(w, "  %s %d", s, rep.PodStatus[s])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "ETCD  %d/%d healthy, leader %s, quorum %v\n", rep.Etcd.Healthy, rep.Etcd.Members, cmp.Or(rep.Etcd.Leader, "<none>"), rep.Etcd.Quorum)
	writeEtcdMembers(w, rep.Etcd.MemberStatus)
	writeCost(w, rep.Cost)
	writeLoad(w, rep.Load)

	if len(rep.Expectations) > 0 {
		fmt.Fprintln(w, "\nEXPECTATIONS")
		for _, e := range rep.Expectations {
			verdict := "PASS"
			if !e.Passed {
				verdict = "FAIL"
			}
			line := fmt.Sprintf("  %s  %s", verdict, e.Description)
			if e.At != "" {
				line += " (at " + e.At + ")"
			}
			if e.Message != "" && !e.Passed {
				line += ": " + e.Message
			}
			fmt.Fprintln(w, line)
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// clock renders a virtual time as m:ss.mmm for aligned columns.
func clock(d time.Duration) string {
	m := int(d / time.Minute)
	s := d % time.Minute
	return fmt.Sprintf("%d:%06.3f", m, s.Seconds())
}

// writeEtcdMembers prints `etcdctl endpoint status`-like lines.
func writeEtcdMembers(w io.Writer, members []EtcdMemberReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, m := range members {
		hash := m.FSMHash
		if len(hash) > 19 {
			hash = hash[:19] // sha256: + 12 hex digits
		}
		fmt.Fprintf(tw, "  %s\t%s\tapplied %d\trevision %d\t%s\n", m.Name, m.State, m.AppliedIndex, m.Revision, cmp.Or(hash, "<none>"))
	}
	tw.Flush()
}

// Package lab is CKA practice on a simulated cluster: a lab is a starting
// scenario (often a broken cluster), a task in Markdown, declarative
// checks on the cluster's state read through the Kubernetes API, hints
// shown one at a time, points and the CKA domain it trains. `kubesim lab`
// runs a lab behind the same API server as `kubesim serve`, checks it,
// resets it, and draws seeded mock exams of 17 labs.
//
// The lab file format is documented in docs/lab-format.md.
package lab

import (
	"slices"
	"time"

	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/kubectl"
)

// Domain is one of the five CKA curriculum domains.
type Domain struct {
	Name   string // as lab files spell it
	Title  string
	Weight int // percent of the exam
}

// Domains are the CKA curriculum's domains with their exam weights (the
// Linux Foundation's curriculum for Kubernetes v1.3x).
var Domains = []Domain{
	{"storage", "Storage", 10},
	{"troubleshooting", "Troubleshooting", 30},
	{"workloads-scheduling", "Workloads & Scheduling", 15},
	{"cluster-architecture", "Cluster Architecture, Installation & Configuration", 25},
	{"services-networking", "Services & Networking", 20},
}

// DomainNames lists the domains' names in curriculum order.
func DomainNames() []string {
	out := make([]string, len(Domains))
	for i, d := range Domains {
		out[i] = d.Name
	}
	return out
}

// LookupDomain returns the domain called name.
func LookupDomain(name string) (Domain, bool) {
	i := slices.IndexFunc(Domains, func(d Domain) bool { return d.Name == name })
	if i < 0 {
		return Domain{}, false
	}
	return Domains[i], true
}

// Lab is one parsed, validated lab.
type Lab struct {
	Name   string
	Title  string
	Domain string
	Points int
	// Warmup is the virtual time the scenario runs (as fast as possible)
	// before the learner gets the cluster: long enough for a broken start
	// to show its symptoms.
	Warmup time.Duration
	// Scenario is the starting cluster.
	Scenario *scenarios.Scenario
	Task     string // Markdown
	Hints    []string
	Checks   []Check
	Solution []Step
	// File is where the lab was read from (a library lab: "library/NAME.yaml").
	File string
	// Raw is the lab file's text.
	Raw []byte
}

// Step is one command of a lab's recorded solution: a kubectl command
// line (run by the real kubectl), or one of the lab's own node-level
// commands (`etcdctl snapshot save|restore NAME`, `ssh NODE systemctl
// stop|start|restart kubelet`), with an optional standard input.
type Step struct {
	Run   string
	Stdin string
}

// Args splits the step's command line into words as the POSIX shell a
// learner pastes it into would (kubectl.SplitWords: quotes group words,
// backslashes escape).
func (s Step) Args() ([]string, error) { return kubectl.SplitWords(s.Run) }

// Package framework is the skeleton of kube-scheduler's scheduling
// framework: the plugin interfaces, the per-cycle state, the cached view of
// a node (NodeInfo) and the runner that calls plugins in their configured
// order. Plugins live in sibling packages, one folder each, as upstream.
package framework

import (
	"errors"
	"strings"
)

// Code is the outcome of a plugin call.
type Code int

// Status codes, in upstream order.
const (
	// Success means the plugin ran and the pod may go on.
	Success Code = iota
	// Error is an internal error; the pod is retried with backoff.
	Error
	// Unschedulable means the node does not fit now, but preemption (or a
	// change in the cluster) might help.
	Unschedulable
	// UnschedulableAndUnresolvable means nothing short of changing the pod
	// or the node helps, so preemption does not try this node.
	UnschedulableAndUnresolvable
	// Skip, from PreFilter or PreScore, says the plugin has nothing to do
	// for this pod: its Filter or Score is not called in this cycle.
	Skip
)

var codeNames = [...]string{"Success", "Error", "Unschedulable", "UnschedulableAndUnresolvable", "Skip"}

func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return "Unknown"
}

// Status is what a plugin call returns. A nil *Status is Success, so the
// hot path allocates nothing when all is well.
type Status struct {
	code    Code
	reasons []string
	err     error
	plugin  string
}

// SkipStatus is the shared Skip status plugins return from PreFilter and
// PreScore (no allocation per cycle).
var SkipStatus = &Status{code: Skip}

// NewStatus returns a status with code and the human reasons that end up
// in the FailedScheduling event.
func NewStatus(code Code, reasons ...string) *Status {
	return &Status{code: code, reasons: reasons}
}

// AsStatus wraps an internal error as an Error status.
func AsStatus(err error) *Status {
	if err == nil {
		return nil
	}
	return &Status{code: Error, reasons: []string{err.Error()}, err: err}
}

// WithPlugin records which plugin produced the status and returns s.
func (s *Status) WithPlugin(name string) *Status {
	if s != nil {
		s.plugin = name
	}
	return s
}

// Code is the status code (Success for nil).
func (s *Status) Code() Code {
	if s == nil {
		return Success
	}
	return s.code
}

// Plugin is the name of the plugin that produced the status.
func (s *Status) Plugin() string {
	if s == nil {
		return ""
	}
	return s.plugin
}

// Reasons are the failure reasons, in the order the plugin gave them.
func (s *Status) Reasons() []string {
	if s == nil {
		return nil
	}
	return s.reasons
}

// Message joins the reasons with ", " as upstream does.
func (s *Status) Message() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.reasons, ", ")
}

// IsSuccess reports whether the status is nil or Success.
func (s *Status) IsSuccess() bool { return s.Code() == Success }

// IsSkip reports whether the plugin asked to be skipped.
func (s *Status) IsSkip() bool { return s.Code() == Skip }

// IsRejected reports whether the node (or pod) was rejected as
// unschedulable, resolvable or not.
func (s *Status) IsRejected() bool {
	c := s.Code()
	return c == Unschedulable || c == UnschedulableAndUnresolvable
}

// AsError returns the status as an error (nil for success or skip).
func (s *Status) AsError() error {
	if s.IsSuccess() || s.IsSkip() {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	return errors.New(s.Message())
}

package live

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/explain"
)

// Explain is the causal chain that brought an object to its current state,
// newest step first (explain.Chain), from the session's trace: what a
// learner asks the TUI or the web page with "why?". An empty namespace
// matches any. The chain reaches back at most explainKeep records.
func (s *Session) Explain(kind, namespace, name string) ([]explain.Step, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return nil, ErrClosed
	}
	id := s.why.Target(kind, namespace, name, s.c.Engine.Elapsed())
	if id == 0 {
		return nil, fmt.Errorf("nothing recorded about %s/%s in the recent trace", strings.ToLower(kind), name)
	}
	return s.why.Chain(id), nil
}

// ExplainText is Explain formatted for a terminal (explain.Format), or the
// reason there is nothing to show.
func (s *Session) ExplainText(kind, namespace, name string) string {
	steps, err := s.Explain(kind, namespace, name)
	if err != nil {
		return err.Error()
	}
	return explain.Format(steps)
}

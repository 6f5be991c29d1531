package scenarios

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a 1-based line and column in a YAML file.
type Pos struct {
	Line, Column int
}

// String renders the position as "line:column".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// Error is one problem found in a scenario, positioned in the file that
// holds it so editors and terminals can jump straight to it.
type Error struct {
	File         string
	Line, Column int
	Msg          string
	// Hint is an optional suggestion ("did you mean ...?"), printed on a
	// second line.
	Hint string
}

// Error renders "file:line:column: msg" and the hint on its own line.
func (e *Error) Error() string {
	s := fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	if e.Hint != "" {
		s += "\n  hint: " + e.Hint
	}
	return s
}

// ErrorList is every problem found in one load, sorted by position so
// that fixing them top to bottom works.
type ErrorList []*Error

// Error lists the errors one after the other, one per line (plus hints).
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap exposes the individual errors to errors.Is / errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// sorted orders the list by file, line and column and drops exact
// duplicates (a manifest referenced twice reports its problems once).
func (l ErrorList) sorted() ErrorList {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return slices.CompactFunc(out, func(a, b *Error) bool { return *a == *b })
}

// errOrNil turns an empty list into a nil error.
func (l ErrorList) errOrNil() error {
	if len(l) == 0 {
		return nil
	}
	return l.sorted()
}

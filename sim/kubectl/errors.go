package kubectl

import (
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Error is a failure worded as kubectl prints it on stderr: the message
// already carries kubectl's prefix ("error: ", "Error from server
// (NotFound): ", ...), so callers print Error() as is.
type Error struct {
	Msg string
	// UnknownType is the resource type the server does not have, when
	// that is the error (the scenario loader suggests a spelling).
	UnknownType string
}

func (e *Error) Error() string { return e.Msg }

// errorf is a client-side error, which kubectl prefixes with "error: ".
func errorf(format string, args ...any) error {
	return &Error{Msg: "error: " + fmt.Sprintf(format, args...)}
}

// serverError words an API error as kubectl's CheckErr does: Invalid errors
// list their causes, other status errors name their reason.
func serverError(err error) error {
	if err == nil {
		return nil
	}
	var ke *Error
	if errors.As(err, &ke) {
		return ke
	}
	var se apierrors.APIStatus
	if !errors.As(err, &se) {
		return &Error{Msg: "error: " + err.Error()}
	}
	st := se.Status()
	if st.Reason == metav1.StatusReasonInvalid {
		return &Error{Msg: invalidMessage(st, err)}
	}
	if st.Reason != "" {
		return &Error{Msg: fmt.Sprintf("Error from server (%s): %s", st.Reason, err.Error())}
	}
	return &Error{Msg: "Error from server: " + err.Error()}
}

// invalidMessage mirrors kubectl's "The Deployment "x" is invalid: ..."
// rendering of a 422, one cause inline or several as a bullet list.
func invalidMessage(st metav1.Status, err error) string {
	d := st.Details
	if d == nil || len(d.Causes) == 0 {
		return "The request is invalid: " + err.Error()
	}
	head := fmt.Sprintf("The %s %q is invalid", d.Kind, d.Name)
	causes := make([]string, len(d.Causes))
	for i, c := range d.Causes {
		msg := c.Message
		if c.Field != "" {
			msg = c.Field + ": " + msg
		}
		causes[i] = msg
	}
	if len(causes) == 1 {
		return head + ": " + causes[0]
	}
	return head + ": \n* " + strings.Join(causes, "\n* ")
}

// aggregate formats several errors as apimachinery's utilerrors.Aggregate
// does: one error as itself, several as "[a, b]".
func aggregate(errs []string) string {
	if len(errs) == 1 {
		return errs[0]
	}
	return "[" + strings.Join(errs, ", ") + "]"
}

// joinErrors combines the per-object failures of a multi-object command
// into one error whose lines are printed in order.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return &Error{Msg: strings.Join(msgs, "\n")}
}

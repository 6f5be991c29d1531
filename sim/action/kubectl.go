package action

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/sim/kubectl"
	"github.com/kubesim/kubesim/sim/store"
)

// Kubectl is one command line of the scenario kubectl subset (without the
// leading "kubectl").
type Kubectl struct{ Line string }

func (*Kubectl) ActionName() string { return "kubectl" }

func init() {
	Register(Entry[*Kubectl]{
		Example: "scale deployment/web --replicas=6",
		// The line is checked with the kubectl parser at load time, so a
		// typo fails before the run rather than at its virtual minute;
		// files named by `apply -f` are read and checked now too.
		Parse: func(d Decoder, n *yaml.Node) (*Kubectl, bool) {
			line, ok := d.String(n, "kubectl")
			if !ok {
				return nil, false
			}
			if strings.TrimSpace(line) == "" {
				d.Errorf(n, "e.g. `kubectl: scale deployment/web --replicas=6`", "kubectl: empty command line")
				return nil, false
			}
			cmd, err := kubectl.Parse(line)
			if err != nil {
				msg, hint := splitKubectlError(err.Error())
				var ke *kubectl.Error
				if errors.As(err, &ke) && ke.UnknownType != "" {
					if s := textdist.Suggest(ke.UnknownType, store.ResourceNames()); s != "" {
						hint = fmt.Sprintf("did you mean %q?", s)
					}
				}
				d.Errorf(n, hint, "kubectl: %s", msg)
				return nil, false
			}
			before := d.Errors()
			d.KubectlFiles(n, cmd.Files)
			return &Kubectl{Line: line}, d.Errors() == before
		},
		Validate: func(a *Kubectl, w *World) *Problem {
			cmd, err := kubectl.Parse(a.Line)
			if err != nil {
				msg, hint := splitKubectlError(err.Error())
				return &Problem{Msg: "kubectl: " + msg, Hint: hint}
			}
			for _, t := range cmd.Targets {
				if t.Kind == "Node" {
					if p := checkNode(w, "kubectl", "", t.Name); p != nil {
						return p
					}
				}
			}
			return nil
		},
		Run:   func(env *Env, a *Kubectl) { RunKubectl(env, a.Line) },
		Write: func(a *Kubectl) (any, error) { return a.Line, nil },
		Files: func(a *Kubectl) []string {
			if cmd, err := kubectl.Parse(a.Line); err == nil {
				return cmd.Files
			}
			return nil
		},
	})
}

// RunKubectl runs one kubectl line and notes its output.
func RunKubectl(env *Env, line string) {
	cmd, err := kubectl.Parse(line)
	if err != nil {
		env.Note("kubectl", line, "", err)
		return
	}
	out, err := cmd.Run(env.Kubectl)
	env.Note("kubectl", line, out, err)
}

// splitKubectlError keeps the first line of a kubectl error as the
// message and folds kubectl's further lines ("Did you mean this?\n\tscale")
// into a one-line hint.
func splitKubectlError(text string) (string, string) {
	lines := strings.Split(text, "\n")
	var rest []string
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l != "" {
			rest = append(rest, l)
		}
	}
	return lines[0], strings.Join(rest, " ")
}

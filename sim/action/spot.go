package action

import (
	"strings"
)

// Spot is a fault of EC2's spot market: Interrupt sends the spot instance
// behind a node its two-minute interruption notice, after which EC2
// reclaims it. Karpenter (when it runs) cordons and drains the node and
// launches replacement capacity within the notice. Interrupt may be
// "random": one running spot instance, drawn from the "chaos/spot"
// stream.
type Spot struct{ Interrupt string }

func (*Spot) ActionName() string { return "spot" }

func init() {
	Register(Entry[*Spot]{
		Example: "{interrupt: NODE}",
		Fields:  []string{"interrupt"},
		ParseFields: func(d Decoder, f *Fields) (*Spot, bool) {
			v, ok := d.RequiredString(f, "interrupt", "spot")
			if !ok {
				return nil, false
			}
			return &Spot{Interrupt: v}, true
		},
		Validate: func(a *Spot, w *World) *Problem {
			// Karpenter's nodes are named by EC2 (ip-....compute.internal)
			// and exist only once launched: checked when the action runs.
			if a.Interrupt == "random" || strings.HasPrefix(a.Interrupt, "ip-") {
				return nil
			}
			if p := checkNode(w, "spot.interrupt", "interrupt", a.Interrupt); p != nil {
				p.Hint = strings.TrimSpace(p.Hint + " (or \"random\": a running spot instance)")
				return p
			}
			return nil
		},
		Run: func(env *Env, a *Spot) {
			node, err := env.Cluster.InterruptSpot(a.Interrupt)
			env.Note("spot", "interrupt/"+node, "", err)
		},
		Write: func(a *Spot) (any, error) { return map[string]any{"interrupt": a.Interrupt}, nil },
	})
}

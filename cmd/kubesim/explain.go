package main

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/spf13/cobra"

	"github.com/kubesim/kubesim/explain"
	"github.com/kubesim/kubesim/scenarios"
	"github.com/kubesim/kubesim/sim/store"
)

func init() { extraCommands = append(extraCommands, newExplainCmd) }

func newExplainCmd() *cobra.Command {
	var at, seed, ns string
	cmd := &cobra.Command{
		Use:   "explain KIND/NAME FILE|NAME",
		Short: "Why is this object in this state? The causal chain from a run's trace",
		Long: `explain runs the scenario up to --at (default: its end) and prints the chain of
causes that brought the object to its state: each step with its virtual
time, the component that acted and the upstream rule behind it. The chain
is the trace's own: every record is linked, as it is written, to the record
its event acted upon.`,
		Example: `  kubesim explain pod/web-79cc75ffd9-lwn5g --at 9m node-failure
  kubesim explain node/general-1 --at 4m node-failure`,
		Args: takesArgs(2, 2, "explain takes an object and a scenario, e.g. kubesim explain pod/NAME --at 9m node-failure"),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, name, err := explain.ParseObject(args[0])
			if err != nil {
				return badInput(err)
			}
			var atD time.Duration
			if at != "" {
				if atD, err = time.ParseDuration(at); err != nil || atD < 0 {
					return badInput(fmt.Errorf("--at must be a duration like 9m or 2m30s, not %q", at))
				}
			}
			sd, err := parseSeed(seed)
			if err != nil {
				return err
			}
			s, err := scenarios.Resolve(args[1])
			if err != nil {
				return badInput(err)
			}
			rec, run, err := explain.Run(s, sd, atD)
			if err != nil {
				return &exitError{3, fmt.Errorf("simulation failed: %w", err)}
			}
			info, _ := store.LookupKind(kind)
			if info.Namespaced && ns == "" {
				ns = "default"
			}
			if !info.Namespaced {
				ns = ""
			}
			now := run.Cluster.Engine.Elapsed()
			id := rec.Target(kind, ns, name, now)
			if id == 0 {
				return badInput(fmt.Errorf("nothing happened to %s %q by %s in %s (is the name right? kubesim run %s --trace FILE lists every object)", kind, name, now, s.Name, args[1]))
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Why %s/%s is as it is at %s (%s, seed %d):\n\n", info.Singular, name, now, s.Name, run.Cluster.Engine.Seed())
			fmt.Fprint(out, explain.Format(rec.Chain(id)))
			if o, ok := run.Cluster.Store.Get(kind, ns, name); ok {
				if p, isPod := o.(*corev1.Pod); isPod {
					for _, c := range p.Status.Conditions {
						if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
							fmt.Fprintf(out, "\nnow: %s — %s\n", c.Reason, c.Message)
						}
					}
				}
			} else {
				fmt.Fprintf(out, "\nnow: %s/%s no longer exists\n", info.Singular, name)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "virtual time to explain at (default: the scenario's end)")
	cmd.Flags().StringVar(&seed, "seed", "", seedUsage)
	cmd.Flags().StringVarP(&ns, "namespace", "n", "", "namespace of the object (default: default)")
	return cmd
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubesim/kubesim/bench"
)

func newBenchCmd() *cobra.Command {
	var cfg bench.Config
	var asJSON, table bool
	var tableMax int
	var addons bool
	var memLimit string
	cmd := &cobra.Command{
		Use:   "bench [FILE|NAME]",
		Short: "Measure the simulator the way `kubesim run` runs: N nodes, D Deployments x R replicas, for the scenario's duration",
		Long: `bench generates a scenario of N nodes and D Deployments of R replicas and runs
it exactly as 'kubesim run' would (default control plane with its etcd
members, add-ons unless --addons=false, the whole duration after every pod is
Running), then prints the wall time of each phase and, with --breakdown, the
CPU time and the memory in use per component. Given a scenario file or library
name it runs that instead. --table runs the scaling shapes 1k/30k, 2k/60k,
5k/150k and 10k/300k, each in a fresh process (so that each peak RSS is its
own), and prints one line per shape. --autoscaler runs the capacity planner's
day instead: traffic following a sine over 24 hours into --deployments
Deployments, each with its HPA, under Cluster Autoscaler or Karpenter, growing
the cluster up to --nodes nodes and back.`,
		Example: `  kubesim bench --nodes 1000 --deployments 300 --replicas 100 --addons=false --breakdown
  kubesim bench --nodes 5000 --deployments 1500 --replicas 100 --addons=false
  kubesim bench --table --table-max-nodes 5000 --addons=false
  kubesim bench --autoscaler cluster-autoscaler --deployments 50 --nodes 200
  kubesim bench my-scenario.yaml --breakdown`,
		Args: takesArgs(0, 1, "bench takes at most one scenario file or library name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cfg.EtcdMembers != 0 && cfg.EtcdMembers != 1 && cfg.EtcdMembers != 3 && cfg.EtcdMembers != 5 {
				return badInput(fmt.Errorf("--etcd-members must be 1, 3 or 5, got %d", cfg.EtcdMembers))
			}
			if cfg.Nodes <= 0 || cfg.Deployments < 0 || cfg.Replicas < 0 {
				return badInput(fmt.Errorf("--nodes must be positive and --deployments/--replicas non-negative"))
			}
			if cfg.Duration <= 0 {
				return badInput(fmt.Errorf("--duration must be positive, got %s", cfg.Duration))
			}
			if len(args) == 1 {
				cfg.Scenario = args[0]
			}
			if cfg.Autoscaler != "" {
				if !slices.Contains(bench.Autoscalers, cfg.Autoscaler) {
					return badInput(fmt.Errorf("--autoscaler must be one of %s, got %q", strings.Join(bench.Autoscalers, ", "), cfg.Autoscaler))
				}
				if !cmd.Flags().Changed("duration") {
					cfg.Duration = 24 * time.Hour
				}
			}
			cfg.NoAddons = !addons
			if memLimit != "" {
				q, err := resource.ParseQuantity(memLimit)
				if err != nil || q.Sign() <= 0 {
					return badInput(fmt.Errorf("--memlimit must be a positive quantity of bytes such as 2.3Gi or 2400Mi, got %q", memLimit))
				}
				cfg.MemoryLimit = q.Value()
			}
			out := cmd.OutOrStdout()
			if table {
				return benchTable(out, cfg, tableMax)
			}
			res, err := bench.Run(cfg)
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if jerr := enc.Encode(res); jerr != nil {
					return jerr
				}
			} else {
				fmt.Fprintln(out, res)
			}
			return err
		},
	}
	cmd.Flags().IntVar(&cfg.Nodes, "nodes", 1000, "number of nodes")
	cmd.Flags().IntVar(&cfg.Deployments, "deployments", 300, "number of Deployments")
	cmd.Flags().IntVar(&cfg.Replicas, "replicas", 100, "replicas per Deployment")
	cmd.Flags().StringVar(&cfg.InstanceType, "instance-type", "m5.4xlarge", "EC2 instance type of the nodes")
	cmd.Flags().IntVar(&cfg.EtcdMembers, "etcd-members", 0, "etcd members (1, 3 or 5; default: the scenario default, 3)")
	cmd.Flags().BoolVar(&cfg.PlainStore, "plain-store", false, "no raft replication under the store (to compare against)")
	cmd.Flags().BoolVar(&addons, "addons", true, "run the EKS add-ons (kube-proxy, aws-node, CoreDNS)")
	cmd.Flags().DurationVar(&cfg.Duration, "duration", 30*time.Minute, "virtual duration of the scenario")
	cmd.Flags().BoolVar(&cfg.Breakdown, "breakdown", false, "profile the run and print CPU time and memory per component")
	cmd.Flags().StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile to this file")
	cmd.Flags().StringVar(&cfg.HeapProfile, "memprofile", "", "write a heap profile (taken at the end of the run, before the report) to this file")
	cmd.Flags().StringVar(&cfg.Autoscaler, "autoscaler", "", "run the diurnal day instead: a sine of traffic over --deployments Deployments with HPAs, under cluster-autoscaler or karpenter, up to --nodes nodes (duration 24h unless --duration)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().BoolVar(&table, "table", false, "run the scaling shapes (1k/30k, 2k/60k, 5k/150k, 10k/300k) and print a table")
	cmd.Flags().IntVar(&tableMax, "table-max-nodes", 10000, "with --table, skip the shapes with more nodes than this")
	cmd.Flags().StringVar(&memLimit, "memlimit", "", "the Go runtime's soft memory limit for the run, as GOMEMLIMIT sets it (a quantity: 2.3Gi, 2400Mi): more GC work for a lower peak RSS")
	return cmd
}

// benchTable runs each scaling shape in a child process of this binary
// (a process's peak RSS only grows) and prints one row per shape. A shape
// that fails (its pods never all Running, or the process killed, as the
// kernel kills one out of memory) gets a row saying so and the peak RSS
// the kernel accounted for it, and the table goes on to the next shape.
func benchTable(out io.Writer, cfg bench.Config, maxNodes int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%-16s %10s %10s %12s %10s %10s %14s\n", "nodes / pods", "wall", "cpu", "all Running", "pods/s", "events/s", "peak RSS")
	var failed []string
	for _, n := range []int{1000, 2000, 5000, 10000} {
		if n > maxNodes {
			continue
		}
		deployments := n * 3 / 10
		args := []string{"bench", "--json", "--nodes", strconv.Itoa(n), "--deployments", strconv.Itoa(deployments),
			"--replicas", "100", "--instance-type", cfg.InstanceType, "--addons=" + strconv.FormatBool(!cfg.NoAddons),
			"--duration", cfg.Duration.String(), "--plain-store=" + strconv.FormatBool(cfg.PlainStore)}
		if cfg.EtcdMembers != 0 {
			args = append(args, "--etcd-members", strconv.Itoa(cfg.EtcdMembers))
		}
		if cfg.MemoryLimit > 0 {
			args = append(args, "--memlimit", strconv.FormatInt(cfg.MemoryLimit, 10))
		}
		shape := fmt.Sprintf("%d / %d", n, deployments*100)
		c := exec.Command(self, args...)
		c.Stderr = os.Stderr
		b, err := c.Output()
		var res bench.Result
		if jerr := json.Unmarshal(b, &res); jerr != nil {
			// No result: the process died before printing one.
			fmt.Fprintf(out, "%-16s failed: %v%s\n", shape, err, childPeak(c))
			failed = append(failed, fmt.Sprintf("%d nodes: %v", n, err))
			continue
		}
		fmt.Fprintf(out, "%-16s %10s %10s %12s %10.0f %10.0f %10d MiB", shape,
			res.Wall.Round(10*time.Millisecond), res.CPU.Round(10*time.Millisecond), res.AllRunning.Round(time.Millisecond),
			float64(res.Running)/res.Wall.Seconds(), float64(res.Events)/res.Wall.Seconds(), res.PeakRSS>>20)
		if err != nil {
			fmt.Fprintf(out, "   failed: %v", err)
			failed = append(failed, fmt.Sprintf("%d nodes: %v", n, err))
		}
		fmt.Fprintln(out)
	}
	if len(failed) > 0 {
		return fmt.Errorf("bench --table: %s", strings.Join(failed, "; "))
	}
	return nil
}

// childPeak is ", peak RSS N MiB" from the kernel's accounting of a
// finished child, or "" when there is none.
func childPeak(c *exec.Cmd) string {
	if c.ProcessState == nil {
		return ""
	}
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > 0 {
		return fmt.Sprintf(", peak RSS %d MiB", ru.Maxrss>>10)
	}
	return ""
}

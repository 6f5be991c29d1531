package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubesim/kubesim/bench"
)

func newBenchCmd() *cobra.Command {
	var cfg bench.Config
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the simulator: N nodes, D Deployments x R replicas, until all pods are Running",
		Example: `  kubesim bench --nodes 1000 --deployments 300 --replicas 100
  kubesim bench --nodes 5000 --deployments 1500 --replicas 100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.EtcdMembers != 0 && cfg.EtcdMembers != 1 && cfg.EtcdMembers != 3 && cfg.EtcdMembers != 5 {
				return badInput(fmt.Errorf("--etcd-members must be 0 (plain store), 1, 3 or 5, got %d", cfg.EtcdMembers))
			}
			if cfg.Nodes <= 0 || cfg.Deployments < 0 || cfg.Replicas < 0 {
				return badInput(fmt.Errorf("--nodes must be positive and --deployments/--replicas non-negative"))
			}
			res, err := bench.Run(cfg)
			fmt.Fprintln(cmd.OutOrStdout(), res)
			return err
		},
	}
	cmd.Flags().IntVar(&cfg.Nodes, "nodes", 1000, "number of nodes")
	cmd.Flags().IntVar(&cfg.Deployments, "deployments", 300, "number of Deployments")
	cmd.Flags().IntVar(&cfg.Replicas, "replicas", 100, "replicas per Deployment")
	cmd.Flags().StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile to this file")
	cmd.Flags().StringVar(&cfg.HeapProfile, "memprofile", "", "write a heap profile (taken with the cluster alive) to this file")
	cmd.Flags().IntVar(&cfg.EtcdMembers, "etcd-members", 0, "etcd members replicating the store over raft (1, 3 or 5; 0 = plain store)")
	cmd.Flags().StringVar(&cfg.InstanceType, "instance-type", "m5.4xlarge", "EC2 instance type of the nodes")
	return cmd
}

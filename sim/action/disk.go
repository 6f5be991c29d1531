package action

import (
	"github.com/kubesim/kubesim/sim/cluster"
)

// Disk fills a node's root volume with host files (logs piling up under
// /var/log, a runaway process on the host): what the kubelet cannot
// reclaim, so under nodefs.available<10% it evicts pod after pod.
type Disk struct {
	Node string
	// Fill is the host files' size: a quantity ("15Gi"), or a percentage
	// ("95%": as much as brings the disk to that use); "0" removes them.
	Fill string
}

func (*Disk) ActionName() string { return "disk" }

func init() {
	Register(Entry[*Disk]{
		Example: `{node: general-1, fill: "95%"}`,
		Fields:  []string{"node", "fill"},
		ParseFields: func(d Decoder, f *Fields) (*Disk, bool) {
			before := d.Errors()
			a := &Disk{}
			a.Node, _ = d.RequiredString(f, "node", "disk")
			if fill, ok := d.RequiredString(f, "fill", "disk"); ok {
				if _, _, valid := cluster.ParseDiskFill(fill); !valid {
					d.Errorf(f.Vals["fill"], `a size such as 15Gi, a share of the disk such as "95%", or 0 to remove the files`,
						"disk.fill: %q is neither a quantity nor a percentage from 0%% to 100%%", fill)
				}
				a.Fill = fill
			}
			return a, d.Errors() == before
		},
		Validate: func(a *Disk, w *World) *Problem { return checkNode(w, "disk", "node", a.Node) },
		Run: func(env *Env, a *Disk) {
			env.Note("disk", "node/"+a.Node, "", env.Cluster.FillDisk(a.Node, a.Fill))
		},
		Write: func(a *Disk) (any, error) { return map[string]any{"node": a.Node, "fill": a.Fill}, nil },
	})
}

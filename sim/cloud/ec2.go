package cloud

import (
	"fmt"
	"time"

	"github.com/kubesim/kubesim/sim"
)

// InstanceState is an EC2 instance's lifecycle state.
type InstanceState string

// The EC2 states the model goes through.
const (
	Pending      InstanceState = "pending"
	Running      InstanceState = "running"
	ShuttingDown InstanceState = "shutting-down"
	Terminated   InstanceState = "terminated"
)

// Launch timing of the EC2 model. A RunInstances call is answered at once
// (pending); the instance is running after PendingTime, then the AMI boots
// and nodeadm starts the kubelet, which registers the Node BootTime later
// and turns Ready after its own start-up (CNI up, 10-20 s). Together the
// steps take 25-45 s, the 30-40 s typical of a Karpenter launch in
// FIDELITY.md (AWS's blog quotes 1-2 min for node groups, whose autoscaler
// adds its own scan and API latency on top). Each delay is drawn uniformly
// in [min, max] from the "cloud/ec2" stream.
var (
	PendingTime      = [2]time.Duration{5 * time.Second, 10 * time.Second}
	BootTime         = [2]time.Duration{10 * time.Second, 15 * time.Second}
	ShuttingDownTime = 10 * time.Second
)

// Instance is one EC2 instance.
type Instance struct {
	ID           string // i-0...
	Name         string // the node name its kubelet registers
	Type         string
	Zone         string
	CapacityType string // ON_DEMAND or SPOT
	Group        string // node group or NodePool that asked for it
	State        InstanceState
	// PricePerHour is what the instance costs while running (price of its
	// type, region and capacity type at launch).
	PricePerHour float64
	// LaunchedAt, RunningAt, TerminatedAt are virtual times (RunningAt and
	// TerminatedAt 0 until reached). EC2 bills from running to terminated.
	LaunchedAt, RunningAt, TerminatedAt time.Duration

	interrupted bool // the two-minute notice was sent
}

// LaunchRequest asks for one instance.
type LaunchRequest struct {
	Name, Type, Zone, CapacityType, Group string
}

// InsufficientCapacityError is EC2's InsufficientInstanceCapacity (ICE).
type InsufficientCapacityError struct{ Type, Zone, CapacityType string }

func (e *InsufficientCapacityError) Error() string {
	if e.CapacityType == Spot {
		return fmt.Sprintf("InsufficientInstanceCapacity: There is no Spot capacity available that matches your request (%s in %s).", e.Type, e.Zone)
	}
	return fmt.Sprintf("InsufficientInstanceCapacity: We currently do not have sufficient %s capacity in the Availability Zone you requested (%s). Our system will be working on provisioning additional capacity.", e.Type, e.Zone)
}

type iceFault struct {
	typ, zone string
	until     time.Duration // 0 = for ever
}

// EC2 is the region's compute service: it launches and terminates
// instances with seeded delays and refuses launches of a type in a zone
// while an insufficient-capacity fault holds. It never touches Kubernetes
// objects: OnRunning and OnTerminated let the cluster boot and remove the
// machine's kubelet.
type EC2 struct {
	engine    *sim.Engine
	rnd       *sim.Rand
	region    string
	instances []*Instance
	byName    map[string]*Instance
	ice       []iceFault

	// OnRunning is called when an instance reaches running plus its boot
	// time: the kubelet starts and registers the Node.
	OnRunning func(*Instance)
	// OnTerminated is called when an instance begins shutting down: its
	// machine is gone.
	OnTerminated func(*Instance)
	// OnInterruption is called when EC2 sends a spot instance its
	// two-minute interruption notice (the EventBridge event Karpenter's
	// interruption queue receives).
	OnInterruption func(*Instance)

	// SpotInterruptionRates are interruptions per instance-hour by type
	// ("*" for every type not named); each running spot instance draws
	// its time to interruption from an exponential distribution (stream
	// "cloud/spot").
	SpotInterruptionRates map[string]float64
	spotRnd               *sim.Rand
}

// SpotInterruptionNotice is the warning EC2 gives before it reclaims a
// spot instance.
const SpotInterruptionNotice = 2 * time.Minute

// Interrupt sends a running spot instance its two-minute interruption
// notice; EC2 terminates it when the notice expires.
func (c *EC2) Interrupt(name string) error {
	in := c.byName[name]
	switch {
	case in == nil:
		return fmt.Errorf("ec2: no instance for node %q", name)
	case in.CapacityType != Spot:
		return fmt.Errorf("ec2: node %q is an on-demand instance: only spot instances are interrupted", name)
	case in.State != Running && in.State != Pending:
		return fmt.Errorf("ec2: node %q: its instance is %s", name, in.State)
	case in.interrupted:
		return fmt.Errorf("ec2: node %q has had its interruption notice already", name)
	}
	in.interrupted = true
	c.trace("spot-interruption-warning", in.Name, "terminates in "+SpotInterruptionNotice.String())
	if c.OnInterruption != nil {
		c.OnInterruption(in)
	}
	c.engine.After(SpotInterruptionNotice, "ec2/spot-reclaim", func() { _ = c.Terminate(in.Name) })
	return nil
}

// scheduleSpotInterruption draws when a spot instance will be interrupted
// under the configured rate for its type.
func (c *EC2) scheduleSpotInterruption(in *Instance) {
	if in.CapacityType != Spot || len(c.SpotInterruptionRates) == 0 {
		return
	}
	rate, ok := c.SpotInterruptionRates[in.Type]
	if !ok {
		rate = c.SpotInterruptionRates["*"]
	}
	if rate <= 0 {
		return
	}
	if c.spotRnd == nil {
		c.spotRnd = c.engine.Rand("cloud/spot")
	}
	hours := c.spotRnd.ExpFloat64() / rate
	if hours > 1e6 {
		return
	}
	c.engine.After(time.Duration(hours*float64(time.Hour)), "ec2/spot-interruption", func() {
		if in.State == Running && !in.interrupted {
			_ = c.Interrupt(in.Name)
		}
	})
}

// NewEC2 returns the EC2 model of region (prices) driven by engine.
func NewEC2(engine *sim.Engine, region string) *EC2 {
	if region == "" {
		region = DefaultRegion
	}
	return &EC2{engine: engine, rnd: engine.Rand("cloud/ec2"), region: region, byName: map[string]*Instance{}}
}

// Region is the region whose prices apply.
func (c *EC2) Region() string { return c.region }

func (c *EC2) between(r [2]time.Duration) time.Duration {
	return r[0] + time.Duration(c.rnd.Int64N(int64(r[1]-r[0])+1))
}

// Adopt records an instance that already runs at the start of the run (a
// node group's initial nodes): billed from time zero.
func (c *EC2) Adopt(req LaunchRequest) *Instance {
	in := c.newInstance(req)
	in.State, in.RunningAt = Running, c.engine.Elapsed()
	c.scheduleSpotInterruption(in)
	return in
}

func (c *EC2) newInstance(req LaunchRequest) *Instance {
	ct := NormalizeCapacityType(req.CapacityType)
	price, _ := Price(c.region, req.Type, ct)
	in := &Instance{ID: InstanceID(req.Name), Name: req.Name, Type: req.Type, Zone: req.Zone, CapacityType: ct,
		Group: req.Group, State: Pending, PricePerHour: price, LaunchedAt: c.engine.Elapsed()}
	c.instances = append(c.instances, in)
	c.byName[in.Name] = in
	return in
}

// Launch is RunInstances for one instance: it fails at once with an
// InsufficientCapacityError while a fault covers the type and zone;
// otherwise the instance is pending, then running, then its kubelet starts.
func (c *EC2) Launch(req LaunchRequest) (*Instance, error) {
	if _, ok := Lookup(req.Type); !ok {
		return nil, fmt.Errorf("InvalidParameterValue: Invalid value '%s' for InstanceType.", req.Type) //nolint:staticcheck // ST1005: EC2's error text, word for word
	}
	if c.byName[req.Name] != nil {
		return nil, fmt.Errorf("ec2: an instance for node %q exists already", req.Name)
	}
	if c.insufficient(req.Type, req.Zone) {
		c.trace("ice", req.Name, req.Type+" in "+req.Zone)
		return nil, &InsufficientCapacityError{Type: req.Type, Zone: req.Zone, CapacityType: NormalizeCapacityType(req.CapacityType)}
	}
	in := c.newInstance(req)
	c.trace("launch", in.Name, in.Type+" "+in.CapacityType+" in "+in.Zone)
	c.boot(in)
	return in, nil
}

// boot takes a pending instance to running, then starts its kubelet.
func (c *EC2) boot(in *Instance) {
	c.engine.After(c.between(PendingTime), "ec2/running", func() {
		if in.State != Pending {
			return
		}
		in.State, in.RunningAt = Running, c.engine.Elapsed()
		c.trace("running", in.Name, in.ID)
		c.scheduleSpotInterruption(in)
		c.engine.After(c.between(BootTime), "ec2/boot", func() {
			if in.State == Running && c.OnRunning != nil {
				c.OnRunning(in)
			}
		})
	})
}

// LaunchFargate starts the micro-VM of a Fargate pod: it goes pending,
// running and boots like an instance (the same seeded delays), and is
// billed per second at its size's vCPU and GB prices.
func (c *EC2) LaunchFargate(name, zone string, size FargateSize) (*Instance, error) {
	price, err := FargatePrice(c.region, size)
	if err != nil {
		return nil, err
	}
	if c.byName[name] != nil {
		return nil, fmt.Errorf("fargate: a machine for node %q exists already", name)
	}
	in := &Instance{ID: InstanceID(name), Name: name, Type: FargateInstanceType, Zone: zone, CapacityType: FargateCapacityType,
		Group: FargateInstanceType, State: Pending, PricePerHour: price, LaunchedAt: c.engine.Elapsed()}
	c.instances = append(c.instances, in)
	c.byName[name] = in
	c.trace("launch", in.Name, "fargate "+size.String()+" in "+zone)
	c.boot(in)
	return in, nil
}

// Terminate is TerminateInstances: the machine stops at once, the
// instance is terminated (and no longer billed) after shutting down.
func (c *EC2) Terminate(name string) error {
	in := c.byName[name]
	if in == nil {
		return fmt.Errorf("ec2: no instance for node %q", name)
	}
	if in.State == ShuttingDown || in.State == Terminated {
		return nil
	}
	wasRunning := in.State == Running
	in.State = ShuttingDown
	c.trace("terminate", in.Name, in.ID)
	if !wasRunning {
		in.RunningAt = c.engine.Elapsed() // never ran: nothing billed
	}
	if c.OnTerminated != nil {
		c.OnTerminated(in)
	}
	c.engine.After(ShuttingDownTime, "ec2/terminated", func() {
		in.State, in.TerminatedAt = Terminated, c.engine.Elapsed()
	})
	return nil
}

// InsufficientCapacity makes launches of typ in zone fail for d (0 = until
// the end of the run); "" for typ or zone matches any.
func (c *EC2) InsufficientCapacity(typ, zone string, d time.Duration) {
	f := iceFault{typ: typ, zone: zone}
	if d > 0 {
		f.until = c.engine.Elapsed() + d
	}
	c.ice = append(c.ice, f)
	c.trace("insufficient-capacity", typ+"/"+zone, "for "+d.String())
}

func (c *EC2) insufficient(typ, zone string) bool {
	now := c.engine.Elapsed()
	for _, f := range c.ice {
		if (f.typ == "" || f.typ == typ) && (f.zone == "" || f.zone == zone) && (f.until == 0 || now < f.until) {
			return true
		}
	}
	return false
}

// Instance returns the instance of node name.
func (c *EC2) Instance(name string) (*Instance, bool) {
	in, ok := c.byName[name]
	return in, ok
}

// Instances lists every instance ever launched, in launch order.
func (c *EC2) Instances() []*Instance { return c.instances }

// Hours is how long in has been billed up to now.
func (in *Instance) Hours(now time.Duration) float64 {
	switch {
	case in.State == Pending:
		return 0
	case in.TerminatedAt > 0:
		return (in.TerminatedAt - in.RunningAt).Hours()
	}
	return (now - in.RunningAt).Hours()
}

// Cost is what in has cost up to now (per-second billing).
func (in *Instance) Cost(now time.Duration) float64 { return in.Hours(now) * in.PricePerHour }

// Billed reports whether the instance costs money at now.
func (in *Instance) Billed() bool { return in.State == Running || in.State == ShuttingDown }

func (c *EC2) trace(verb, name, summary string) {
	c.engine.Trace().Add(sim.Record{T: c.engine.Elapsed(), Component: "ec2", Verb: verb, Kind: "Instance", Name: name, Summary: summary})
}

package cloud

import (
	"fmt"
	"math"
	"strings"
)

// Capacity types, as EKS managed node groups spell them
// (eks.amazonaws.com/capacityType). Karpenter's karpenter.sh/capacity-type
// uses the lower-case forms "on-demand" and "spot".
const (
	OnDemand = "ON_DEMAND"
	Spot     = "SPOT"
)

// DefaultRegion is the region of a scenario that names none.
const DefaultRegion = "us-east-1"

// RegionInfo is an AWS region the catalogue has prices for.
type RegionInfo struct {
	Name  string
	Zones []string
	// Factor scales the us-east-1 on-demand price list to this region.
	// The generated price list Karpenter ships covers us-east-1 only; the
	// factors are the ratio of the region's published Linux on-demand
	// price of m5.large to us-east-1's ($0.096): us-east-2 and us-west-2
	// price these families like us-east-1, eu-west-1 charges $0.107 and
	// eu-central-1 $0.115 for m5.large. Applying one ratio to every type is
	// an approximation (the published regional lists differ by a few
	// tenths of a cent per type).
	Factor float64
}

var regions = []RegionInfo{
	{"eu-central-1", []string{"eu-central-1a", "eu-central-1b", "eu-central-1c"}, 0.115 / 0.096},
	{"eu-west-1", []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}, 0.107 / 0.096},
	{"us-east-1", []string{"us-east-1a", "us-east-1b", "us-east-1c"}, 1},
	{"us-east-2", []string{"us-east-2a", "us-east-2b", "us-east-2c"}, 1},
	{"us-west-2", []string{"us-west-2a", "us-west-2b", "us-west-2c"}, 1},
}

// LookupRegion returns the region called name.
func LookupRegion(name string) (RegionInfo, bool) {
	for _, r := range regions {
		if r.Name == name {
			return r, true
		}
	}
	return RegionInfo{}, false
}

// RegionNames lists the region names (for did-you-mean hints).
func RegionNames() []string {
	out := make([]string, len(regions))
	for i, r := range regions {
		out[i] = r.Name
	}
	return out
}

// spotRatio is the spot price as a share of on-demand, per family. EC2
// spot prices float with supply and demand; these are a model: the
// typical discount of the family in us-east-1 spot price history (the EC2
// Spot Instance Advisor's "savings over on-demand" column puts current
// general-purpose and compute families at 60-70%, burstable and GPU types
// at 50-70%), held constant over a run so that costs are reproducible.
var spotRatio = map[string]float64{
	"m5": 0.38, "m6i": 0.36, "m7i": 0.40, "m6g": 0.36, "m7g": 0.39,
	"c5": 0.37, "c6i": 0.35, "c7i": 0.41, "c7g": 0.38,
	"r5": 0.33, "r6i": 0.32, "r7g": 0.36,
	"t3": 0.32, "t4g": 0.33,
	"g4dn": 0.42, "g5": 0.45,
}

// Price is the USD per hour of one instance of type name in region with
// capacityType (ON_DEMAND or SPOT; Karpenter's on-demand and spot work
// too). Prices round to 1/10000 of a dollar like the published lists.
func Price(region, name, capacityType string) (float64, error) {
	t, ok := Lookup(name)
	if !ok {
		return 0, fmt.Errorf("unknown instance type %q", name)
	}
	r, ok := LookupRegion(region)
	if !ok {
		return 0, fmt.Errorf("no prices for region %q (regions: %s)", region, strings.Join(RegionNames(), ", "))
	}
	p := t.PricePerHour
	if r.Factor != 1 {
		p = round4(p * r.Factor)
	}
	switch NormalizeCapacityType(capacityType) {
	case OnDemand:
		return p, nil
	case Spot:
		return round4(p * spotRatio[t.Family()]), nil
	}
	return 0, fmt.Errorf("unknown capacity type %q (ON_DEMAND or SPOT)", capacityType)
}

// NormalizeCapacityType maps the EKS and Karpenter spellings to ON_DEMAND
// or SPOT ("" is on-demand); anything else comes back unchanged.
func NormalizeCapacityType(ct string) string {
	switch ct {
	case "", OnDemand, "on-demand":
		return OnDemand
	case Spot, "spot":
		return Spot
	}
	return ct
}

func round4(x float64) float64 { return math.Round(x*10000) / 10000 }

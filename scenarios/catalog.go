package scenarios

import (
	"fmt"
	"strings"

	"github.com/kubesim/kubesim/sim/cloud"
)

func instanceTypeKnown(name string) bool {
	_, ok := cloud.Lookup(name)
	return ok
}

// instanceTypeHint suggests the closest catalogue type, or lists them.
func instanceTypeHint(name string) string {
	if s := cloud.Suggest(name); s != "" && s != name {
		return fmt.Sprintf("did you mean %q?", s)
	}
	names := cloud.Names()
	if len(names) > 12 {
		return fmt.Sprintf("known types include %s, … (%d in all); or give `capacity:` instead", strings.Join(names[:12], ", "), len(names))
	}
	return "known types: " + strings.Join(names, ", ") + "; or give `capacity:` instead"
}

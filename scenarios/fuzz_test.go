package scenarios

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the loader as a library scenario (so
// that the library's manifests can be referenced): it must never panic,
// and every failure must be a list of positioned errors.
func FuzzParse(f *testing.F) {
	f.Add([]byte("name: x\ncluster: {nodeGroups: [{name: g, instanceType: m5.large, count: 1}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("library/fuzz.yaml", data, libraryFS)
		if err == nil {
			if s == nil {
				t.Fatal("nil scenario without error")
			}
			_ = s.NodeNames()
			for _, e := range s.Expect {
				_ = e.Description()
			}
			return
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error is not an ErrorList: %T %v", err, err)
		}
		for _, e := range list {
			if e.File == "" || e.Line < 1 || e.Column < 1 || e.Msg == "" {
				t.Fatalf("badly positioned error: %#v", e)
			}
		}
		_ = err.Error()
	})
}

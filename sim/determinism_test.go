package sim

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// wallClock are the functions of package time that read or wait on the
// machine's clock; inside sim/ time is the engine's.
var wallClock = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "NewTimer": true, "NewTicker": true, "Tick": true,
}

// seededRand are the math/rand functions that build a seeded generator
// rather than draw from the global one.
var seededRand = map[string]bool{
	"New": true, "NewPCG": true, "NewChaCha8": true, "NewSource": true, "NewZipf": true,
}

// TestSimIsDeterministic walks every Go file of sim/ except sim/etcd (which
// wraps hashicorp/raft and its goroutines) and fails on what would make a
// run depend on the machine: a go statement, a wall-clock call, a math/rand
// import outside rand.go (the one place the seeded streams are made), and
// in tests too, a draw from math/rand's global generator. golangci-lint's
// forbidigo covers the calls as well, but cannot see go statements.
func TestSimIsDeterministic(t *testing.T) {
	skip := func(path string, dir bool) bool {
		return dir && (path == "etcd" || filepath.Base(path) == "testdata")
	}
	walkSim(t, parser.SkipObjectResolution, skip, func(fset *token.FileSet, path string, f *ast.File) {
		for _, p := range determinismProblems(fset, f, path, strings.HasSuffix(path, "_test.go")) {
			t.Error(p)
		}
	})
}

// walkSim parses, with mode, every Go file under sim/ that skip (given a
// path relative to sim/ and whether it is a directory) does not pass
// over, skipping a whole directory, and hands each file to visit.
func walkSim(t *testing.T, mode parser.Mode, skip func(path string, dir bool) bool, visit func(fset *token.FileSet, path string, f *ast.File)) {
	t.Helper()
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if skip(path, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, mode)
		if err != nil {
			return err
		}
		visit(fset, path, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// determinismProblems lists what in f breaks determinism, one line each
// (file:line: what). Tests may read the clock (benchmarks time themselves)
// and start goroutines; they may not use the global random generator.
func determinismProblems(fset *token.FileSet, f *ast.File, path string, test bool) []string {
	var out []string
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, fmt.Sprintf("sim/%s:%d: %s", filepath.ToSlash(path), fset.Position(n.Pos()).Line, fmt.Sprintf(format, args...)))
	}
	names := map[string]string{} // local name -> import path, for time and math/rand
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if p != "time" && p != "math/rand" && p != "math/rand/v2" {
			continue
		}
		name := filepath.Base(strings.TrimSuffix(p, "/v2"))
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = p
		if p != "time" && !test && path != "rand.go" {
			report(imp, "imports %s: draw from engine.Rand(\"stream\") instead", p)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			if !test {
				report(n, "go statement: the engine runs everything on one goroutine in virtual time; schedule an event instead")
			}
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok {
				break
			}
			switch names[id.Name] {
			case "time":
				if wallClock[n.Sel.Name] && !test {
					report(n, "time.%s reads the wall clock: use the engine's virtual clock", n.Sel.Name)
				}
			case "math/rand", "math/rand/v2":
				if first := n.Sel.Name[0]; first >= 'A' && first <= 'Z' && !seededRand[n.Sel.Name] && !isType(n.Sel.Name) {
					report(n, "%s.%s draws from the global generator: use a seeded one", id.Name, n.Sel.Name)
				}
			}
		}
		return true
	})
	return out
}

// isType reports whether name is one of math/rand's exported types, which
// a file may name without drawing anything.
func isType(name string) bool {
	switch name {
	case "Rand", "Source", "PCG", "ChaCha8", "Zipf", "Source64":
		return true
	}
	return false
}

// The checker itself must catch what it is there to catch.
func TestDeterminismProblemsCatchesEachKind(t *testing.T) {
	src := `package x

import (
	"math/rand/v2"
	clock "time"
)

func f() {
	go func() {}()
	_ = clock.Now()
	clock.Sleep(1)
	_ = rand.IntN(3)
	_ = rand.New(rand.NewPCG(1, 2)).IntN(3)
	_ = clock.Duration(0)
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := determinismProblems(fset, f, "x.go", false)
	want := []string{
		"sim/x.go:4: imports math/rand/v2",
		"sim/x.go:9: go statement",
		"sim/x.go:10: time.Now reads the wall clock",
		"sim/x.go:11: time.Sleep reads the wall clock",
		"sim/x.go:12: rand.IntN draws from the global generator",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
	if test := determinismProblems(fset, f, "x_test.go", true); len(test) != 1 || !strings.Contains(test[0], "rand.IntN") {
		t.Errorf("in a test only the global generator is a problem, got %q", test)
	}
}

package kubeapi

import (
	"encoding/json"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubesim/kubesim/sim/store"
)

// column is one Table column: priority 1 columns appear with -o wide.
type column struct {
	name     string
	typ      string // string, integer, date
	priority int32
}

// printer renders one kind as Table rows, the columns kubectl prints.
// Cells are computed from the object and the virtual now only, so rows
// can be rendered outside the simulation's lock.
type printer struct {
	columns []column
	cells   func(o store.Object, now time.Time) []any
}

// printers by store kind; kinds without one print Name and Age.
var printers = map[string]*printer{}

var defaultPrinter = &printer{
	columns: []column{{name: "Name", typ: "string"}, {name: "Age", typ: "string"}},
	cells: func(o store.Object, now time.Time) []any {
		return []any{o.GetName(), age(o.GetCreationTimestamp(), now)}
	},
}

func printerOf(kind string) *printer {
	if p, ok := printers[kind]; ok {
		return p
	}
	return defaultPrinter
}

// age is kubectl's AGE: a short human duration, "<unknown>" when unset.
func age(t metav1.Time, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

func cols(spec ...string) []column {
	out := make([]column, len(spec))
	for i, s := range spec {
		c := column{name: s, typ: "string"}
		if strings.HasPrefix(s, "+") {
			c.name, c.priority = s[1:], 1
		}
		out[i] = c
	}
	return out
}

// includeObject is what each row carries: "None", "Metadata" (default) or
// "Object" (kubectl get --sort-by asks for it).
func rowObject(r *resource, o store.Object, include string) runtime.RawExtension {
	var v any
	switch include {
	case "None":
		return runtime.RawExtension{}
	case "Object":
		v = r.serve(o)
	default:
		m := metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "PartialObjectMetadata"}}
		m.ObjectMeta = *objectMeta(o)
		v = &m
	}
	b, _ := json.Marshal(v)
	return runtime.RawExtension{Raw: b}
}

// objectMeta returns the object's metadata without managed fields.
func objectMeta(o store.Object) *metav1.ObjectMeta {
	if a, ok := o.(metav1.ObjectMetaAccessor); ok {
		if m, ok := a.GetObjectMeta().(*metav1.ObjectMeta); ok {
			cp := *m
			cp.ManagedFields = nil
			return &cp
		}
	}
	return &metav1.ObjectMeta{Name: o.GetName(), Namespace: o.GetNamespace()}
}

// table renders objects as a meta.k8s.io/v1 Table.
func table(r *resource, objs []store.Object, now time.Time, include string, listMeta metav1.ListMeta, withColumns bool) *metav1.Table {
	p := printerOf(r.kind)
	t := &metav1.Table{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "Table"}, ListMeta: listMeta}
	if withColumns {
		for i, c := range p.columns {
			d := metav1.TableColumnDefinition{Name: c.name, Type: c.typ, Priority: c.priority}
			if i == 0 && c.name == "Name" {
				d.Format = "name"
			}
			t.ColumnDefinitions = append(t.ColumnDefinitions, d)
		}
	}
	t.Rows = make([]metav1.TableRow, 0, len(objs))
	for _, o := range objs {
		t.Rows = append(t.Rows, metav1.TableRow{Cells: p.cells(o, now), Object: rowObject(r, o, include)})
	}
	return t
}

package scenarios

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	sigsjson "sigs.k8s.io/json"

	"github.com/kubesim/kubesim/internal/textdist"
	"github.com/kubesim/kubesim/sim/store"
)

// strictError reports an unknown or duplicate field of a manifest at its
// key, with the closest valid field name as a hint.
func (p *parser) strictError(err error, w *jsonWriter, info *store.KindInfo, label string, objPos Pos) {
	fe, ok := err.(sigsjson.FieldError)
	if !ok {
		p.errAt(p.file, objPos, "", fmt.Sprintf("%s: %v", label, err))
		return
	}
	fieldPath := fe.FieldPath()
	pos := objPos
	if k, ok := w.keys[fieldPath]; ok {
		pos = NodePos(k)
	}
	if !strings.HasPrefix(err.Error(), "unknown field") {
		p.errAt(p.file, pos, "", fmt.Sprintf("%s: %v", label, err))
		return
	}
	parent, name := splitFieldPath(fieldPath)
	hint := ""
	if names := fieldNamesAt(reflect.TypeOf(info.New()), parent); len(names) > 0 {
		hint = textdist.DidYouMean(name, names, "fields")
		if !strings.HasPrefix(hint, "did you mean") && len(names) > 12 {
			hint = "see `kubectl explain " + strings.ToLower(info.Kind) + explainPath(parent) + "`"
		}
	}
	where := ""
	if parent != "" {
		where = " in " + parent
	}
	p.errAt(p.file, pos, hint, fmt.Sprintf("%s: unknown field %q%s", label, name, where))
}

// splitFieldPath splits "spec.template.spec.containers[0].imagee" into
// its parent path and last field name.
func splitFieldPath(path string) (string, string) {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i], path[i+1:]
	}
	return "", path
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

func explainPath(parent string) string {
	if parent == "" {
		return ""
	}
	return "." + indexRE.ReplaceAllString(parent, "")
}

// decodeError reports a failed decode: a value of the wrong type at its
// position, else (custom decoders such as quantities) at the first bad
// quantity or the object.
func (p *parser) decodeError(err error, w *jsonWriter, info *store.KindInfo, label string, objPos Pos) {
	if te, ok := typeErrorOf(err); ok {
		if s, ok := w.at(te.offset - 1); ok {
			p.Errorf(s.node, "", "%s: %s: expected %s, got %s", label, displayPath(s.path), goTypeName(te.typ), DescribeNode(s.node))
			return
		}
	}
	bad := w.badQuantities(reflect.TypeOf(info.New()))
	for _, s := range bad {
		p.Errorf(s.node, "e.g. 500m or 2 for cpu, 128Mi or 1Gi for memory", "%s: %s: invalid quantity %s", label, displayPath(s.path), DescribeNode(s.node))
	}
	if len(bad) == 0 {
		p.errAt(p.file, objPos, "", fmt.Sprintf("%s: %v", label, err))
	}
}

func displayPath(path string) string { return shortPath(path) }

type typeError struct {
	offset int
	typ    reflect.Type
}

// typeErrorOf extracts the offset and Go type of a JSON type error. The
// error type lives in an internal package of sigs.k8s.io/json, so its
// exported fields are read by reflection.
func typeErrorOf(err error) (typeError, bool) {
	v := reflect.ValueOf(err)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return typeError{}, false
	}
	v = v.Elem()
	off, typ := v.FieldByName("Offset"), v.FieldByName("Type")
	if !off.IsValid() || off.Kind() != reflect.Int64 || !typ.IsValid() {
		return typeError{}, false
	}
	t, ok := typ.Interface().(reflect.Type)
	if !ok || t == nil {
		return typeError{}, false
	}
	return typeError{offset: int(off.Int()), typ: t}, true
}

// goTypeName describes what a Go type accepts, in YAML terms.
func goTypeName(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(resource.Quantity{}):
		return "a quantity"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return goTypeName(t.Elem())
	}
	return t.String()
}

// badQuantities finds the values whose Go type is a Quantity but whose
// text is not one (the quantity decoder's error names no field).
func (w *jsonWriter) badQuantities(root reflect.Type) []span {
	qt := reflect.TypeOf(resource.Quantity{})
	var out []span
	for _, s := range w.spans {
		if s.node.Kind != yaml.ScalarNode || typeAt(root, s.path) != qt {
			continue
		}
		if _, err := resource.ParseQuantity(s.node.Value); err != nil {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b span) int { return a.start - b.start })
	return out
}

// fieldNamesAt lists the JSON field names of the struct at path (a field
// path as sigs.k8s.io/json prints it) within type root.
func fieldNamesAt(root reflect.Type, path string) []string {
	t := typeAt(root, path)
	if t == nil {
		return nil
	}
	var names []string
	collectJSONFields(t, &names, 0)
	slices.Sort(names)
	return names
}

// typeAt walks a field path ("spec.containers[0].resources") through Go
// types by their JSON names; nil when the path leaves the type.
func typeAt(t reflect.Type, path string) reflect.Type {
	t = deref(t)
	if path == "" {
		return t
	}
	for _, seg := range strings.Split(path, ".") {
		name, idx := seg, 0
		if i := strings.IndexByte(seg, '['); i >= 0 {
			name, idx = seg[:i], strings.Count(seg[i:], "[")
		}
		t = fieldType(t, name)
		for ; t != nil && idx > 0; idx-- {
			if k := t.Kind(); k != reflect.Slice && k != reflect.Array {
				return nil
			}
			t = deref(t.Elem())
		}
		if t == nil {
			return nil
		}
	}
	return t
}

// fieldType is the type of the JSON field name of t (a struct, or a map
// whose keys are free).
func fieldType(t reflect.Type, name string) reflect.Type {
	switch t.Kind() {
	case reflect.Map:
		return deref(t.Elem())
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			jn, inline := jsonName(f)
			if inline {
				if ft := fieldType(deref(f.Type), name); ft != nil {
					return ft
				}
			} else if jn == name {
				return deref(f.Type)
			}
		}
	}
	return nil
}

// jsonName is a struct field's JSON name; inline is true for embedded
// structs whose fields are promoted.
func jsonName(f reflect.StructField) (name string, inline bool) {
	if !f.IsExported() && !f.Anonymous {
		return "", false
	}
	tag := strings.Split(f.Tag.Get("json"), ",")[0]
	if tag == "-" {
		return "", false
	}
	if f.Anonymous && tag == "" && deref(f.Type).Kind() == reflect.Struct {
		return "", true
	}
	if tag == "" {
		return f.Name, false
	}
	return tag, false
}

func collectJSONFields(t reflect.Type, names *[]string, depth int) {
	if t.Kind() != reflect.Struct || depth > 8 {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, inline := jsonName(f)
		if inline {
			collectJSONFields(deref(f.Type), names, depth+1)
		} else if name != "" {
			*names = append(*names, name)
		}
	}
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

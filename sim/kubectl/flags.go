package kubectl

import (
	"strconv"
	"strings"
	"time"
)

type flagKind int

const (
	flagBool flagKind = iota
	flagString
	flagStrings // repeatable, also comma separated (like pflag's StringSlice)
	flagInt
	flagDuration
)

// flagSpec declares one flag of a command as kubectl declares it.
type flagSpec struct {
	long  string
	short string
	kind  flagKind
}

// globalFlags are accepted by every command (kubectl's persistent flags
// that matter in a simulation).
var globalFlags = []flagSpec{{long: "namespace", short: "n", kind: flagString}}

// flagValues holds parsed flags, keyed by long name.
type flagValues struct {
	specs []flagSpec
	vals  map[string][]string
}

func (f *flagValues) has(name string) bool { _, ok := f.vals[name]; return ok }

func (f *flagValues) str(name string) string {
	v := f.vals[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func (f *flagValues) list(name string) []string { return f.vals[name] }

// bool is the value of a boolean flag (validated while parsing).
func (f *flagValues) bool(name string) bool {
	b, _ := strconv.ParseBool(f.str(name))
	return b
}

func (f *flagValues) int(name string, def int64) int64 {
	if !f.has(name) {
		return def
	}
	n, _ := strconv.ParseInt(f.str(name), 10, 64)
	return n
}

func (f *flagValues) duration(name string) time.Duration {
	d, _ := time.ParseDuration(f.str(name))
	return d
}

func (f *flagValues) lookupLong(name string) (flagSpec, bool) {
	for _, s := range f.specs {
		if s.long == name {
			return s, true
		}
	}
	return flagSpec{}, false
}

func (f *flagValues) lookupShort(name string) (flagSpec, bool) {
	for _, s := range f.specs {
		if s.short != "" && s.short == name {
			return s, true
		}
	}
	return flagSpec{}, false
}

// parseFlags separates flags from positional arguments like pflag
// (interspersed flags, --name=value, --name value, -n value, -nvalue,
// "--" ends flags) and checks each value's type, with pflag's messages.
func parseFlags(specs []flagSpec, args []string) (*flagValues, []string, error) {
	f := &flagValues{specs: append(append([]flagSpec(nil), specs...), globalFlags...), vals: map[string][]string{}}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return f, append(pos, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			n, err := f.parseLong(args, i)
			if err != nil {
				return nil, nil, err
			}
			i += n
		case strings.HasPrefix(a, "-") && len(a) > 1:
			n, err := f.parseShort(args, i)
			if err != nil {
				return nil, nil, err
			}
			i += n
		default:
			pos = append(pos, a)
		}
	}
	return f, pos, nil
}

// parseLong handles args[i] = "--name[=value]" and returns how many extra
// arguments it consumed.
func (f *flagValues) parseLong(args []string, i int) (int, error) {
	name, val, hasVal := strings.Cut(args[i][2:], "=")
	spec, ok := f.lookupLong(name)
	if !ok || name == "" {
		return 0, errorf("unknown flag: --%s", name)
	}
	used := 0
	if !hasVal {
		if spec.kind == flagBool {
			val = "true"
		} else {
			if i+1 >= len(args) {
				return 0, errorf("flag needs an argument: --%s", name)
			}
			val, used = args[i+1], 1
		}
	}
	return used, f.set(spec, val)
}

// parseShort handles args[i] = "-x", "-xvalue" or "-x=value" (one letter;
// kubectl's subset has no combinable boolean short flags).
func (f *flagValues) parseShort(args []string, i int) (int, error) {
	a := args[i]
	name := a[1:2]
	spec, ok := f.lookupShort(name)
	if !ok {
		return 0, errorf("unknown shorthand flag: '%s' in %s", name, a)
	}
	rest := a[2:]
	if spec.kind == flagBool {
		val := "true"
		if strings.HasPrefix(rest, "=") {
			val = rest[1:]
		} else if rest != "" {
			return 0, errorf("unknown shorthand flag: '%s' in %s", rest[:1], a)
		}
		return 0, f.set(spec, val)
	}
	switch {
	case strings.HasPrefix(rest, "="):
		return 0, f.set(spec, rest[1:])
	case rest != "":
		return 0, f.set(spec, rest)
	case i+1 < len(args):
		return 1, f.set(spec, args[i+1])
	}
	return 0, errorf("flag needs an argument: '%s' in -%s", name, name)
}

func (s flagSpec) display() string {
	if s.short != "" {
		return "-" + s.short + ", --" + s.long
	}
	return "--" + s.long
}

// set checks val against the flag's type and records it.
func (f *flagValues) set(spec flagSpec, val string) error {
	var err error
	switch spec.kind {
	case flagBool:
		_, err = strconv.ParseBool(val)
	case flagInt:
		_, err = strconv.ParseInt(val, 10, 64)
	case flagDuration:
		_, err = time.ParseDuration(val)
	case flagStrings:
		if val != "" {
			f.vals[spec.long] = append(f.vals[spec.long], strings.Split(val, ",")...)
			return nil
		}
	}
	if err != nil {
		return errorf("invalid argument %q for %q flag: %v", val, spec.display(), err)
	}
	f.vals[spec.long] = append(f.vals[spec.long], val)
	return nil
}

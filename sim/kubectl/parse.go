package kubectl

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

func init() {
	sel := flagSpec{long: "selector", short: "l", kind: flagString}
	all := flagSpec{long: "all", kind: flagBool}
	overwrite := flagSpec{long: "overwrite", kind: flagBool}
	rollout := &cmdDef{verb: "rollout", subs: map[string]*cmdDef{
		"undo":    {verb: RolloutUndo, flags: []flagSpec{{long: "to-revision", kind: flagInt}}, parse: parseRollout},
		"restart": {verb: RolloutRestart, parse: parseRollout},
	}}
	create := &cmdDef{verb: "create", subs: map[string]*cmdDef{}}
	create.subs["deployment"] = &cmdDef{verb: CreateDeployment, parse: parseCreateDeployment, flags: []flagSpec{
		{long: "image", kind: flagStrings}, {long: "replicas", short: "r", kind: flagInt}, {long: "port", kind: flagInt}}}
	create.subs["deploy"] = create.subs["deployment"]
	commands = map[string]*cmdDef{
		"scale": {verb: Scale, parse: parseScale, flags: []flagSpec{
			{long: "replicas", kind: flagInt}, {long: "current-replicas", kind: flagInt}, sel, all,
			{long: "timeout", kind: flagDuration}}},
		"apply": {verb: Apply, parse: parseApply, flags: []flagSpec{{long: "filename", short: "f", kind: flagStrings}}},
		"delete": {verb: Delete, parse: parseDelete, flags: []flagSpec{sel, all,
			{long: "grace-period", kind: flagInt}, {long: "force", kind: flagBool}, {long: "now", kind: flagBool},
			{long: "ignore-not-found", kind: flagBool}, {long: "wait", kind: flagBool}}},
		"cordon":   {verb: Cordon, parse: parseCordon, flags: []flagSpec{sel}},
		"uncordon": {verb: Uncordon, parse: parseCordon, flags: []flagSpec{sel}},
		"drain": {verb: Drain, parse: parseDrain, flags: []flagSpec{
			{long: "ignore-daemonsets", kind: flagBool}, {long: "delete-emptydir-data", kind: flagBool},
			{long: "force", kind: flagBool}, {long: "grace-period", kind: flagInt},
			{long: "timeout", kind: flagDuration}, {long: "disable-eviction", kind: flagBool}}},
		"taint":    {verb: Taint, parse: parseTaint, flags: []flagSpec{overwrite, sel, all}},
		"label":    {verb: Label, parse: parseMeta, flags: []flagSpec{overwrite, sel, all}},
		"annotate": {verb: Annotate, parse: parseMeta, flags: []flagSpec{overwrite, sel, all}},
		"rollout":  rollout,
		"set": {verb: "set", subs: map[string]*cmdDef{
			"image": {verb: SetImage, parse: parseSetImage, flags: []flagSpec{sel, all}}}},
		"create": create,
		"expose": {verb: Expose, parse: parseExpose, flags: []flagSpec{
			{long: "port", kind: flagString}, {long: "target-port", kind: flagString},
			{long: "name", kind: flagString}, {long: "type", kind: flagString},
			{long: "protocol", kind: flagString}}},
		"run": {verb: RunPod, parse: parseRun, flags: []flagSpec{
			{long: "image", kind: flagString}, {long: "port", kind: flagString},
			{long: "labels", short: "l", kind: flagString}, {long: "restart", kind: flagString}}},
	}
}

// parseSelector reads -l/--selector/--all and checks the selector parses.
func parseSelector(c *Command, f *flagValues) error {
	c.Selector, c.All = f.str("selector"), f.bool("all")
	if c.Selector != "" {
		if _, err := labels.Parse(c.Selector); err != nil {
			return errorf("%v", err)
		}
	}
	return nil
}

// parseResources reads TYPE NAME... / TYPE/NAME... with -l/--all, the
// argument shape shared by scale, delete, label, annotate and set image.
func parseResources(c *Command, f *flagValues, args []string) error {
	if err := parseSelector(c, f); err != nil {
		return err
	}
	kind, targets, err := parseTargets(args)
	if err != nil {
		return err
	}
	c.Kind, c.Targets = kind, targets
	if len(targets) > 0 && (c.Selector != "" || c.All) {
		return errorf("name cannot be provided when a selector is specified")
	}
	if len(targets) == 0 && (kind == "" || (c.Selector == "" && !c.All)) {
		if kind != "" {
			return errorf("resource(s) were provided, but no name was specified")
		}
		return errNoResources
	}
	return nil
}

func parseScale(c *Command, f *flagValues, args []string) error {
	if err := parseResources(c, f, args); err != nil {
		return err
	}
	if !f.has("replicas") {
		return errorf(`required flag(s) "replicas" not set`)
	}
	n := f.int("replicas", -1)
	if n < 0 || n > 1<<31-1 {
		return errorf("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
	}
	c.Replicas = int32(n)
	c.CurrentReplicas = int32(f.int("current-replicas", -1))
	return nil
}

func parseApply(c *Command, f *flagValues, args []string) error {
	c.Files = f.list("filename")
	if len(c.Files) == 0 {
		return errorf("must specify one of -f and -k")
	}
	if len(args) > 0 {
		return errorf("Unexpected args: [%s]", strings.Join(args, " "))
	}
	return nil
}

func parseDelete(c *Command, f *flagValues, args []string) error {
	if err := parseResources(c, f, args); err != nil {
		return err
	}
	c.Force, c.Now, c.IgnoreNotFound = f.bool("force"), f.bool("now"), f.bool("ignore-not-found")
	c.GracePeriod = f.int("grace-period", -1)
	if c.Now {
		if c.GracePeriod != -1 {
			return errorf("--now and --grace-period cannot be specified together")
		}
		c.GracePeriod = 1
	}
	if c.GracePeriod == 0 && !c.Force {
		c.GracePeriod = 1 // kubectl: --grace-period=0 means 1 unless --force
	}
	if c.Force && c.GracePeriod < 0 {
		c.GracePeriod = 0
	}
	return nil
}

// parseNodes reads NODE arguments (or node/NODE) of cordon, uncordon,
// drain.
func parseNodes(c *Command, f *flagValues, args []string) error {
	c.Selector = f.str("selector")
	if len(args) == 0 && c.Selector == "" {
		return errorf("USAGE: %s NODE [flags]", c.Verb)
	}
	if len(args) > 0 && c.Selector != "" {
		return errorf("cannot specify both a node name and a --selector option")
	}
	if err := parseSelector(c, f); err != nil {
		return err
	}
	for _, a := range args {
		if typ, name, ok := strings.Cut(a, "/"); ok {
			if k, err := resolveKind(typ); err != nil || k != "Node" || name == "" {
				return errorf("expected resource of type node, got %q", a)
			}
			a = name
		}
		c.Targets = append(c.Targets, Target{Kind: "Node", Name: a})
	}
	c.Kind = "Node"
	return nil
}

func parseCordon(c *Command, f *flagValues, args []string) error { return parseNodes(c, f, args) }

func parseDrain(c *Command, f *flagValues, args []string) error {
	if err := parseNodes(c, f, args); err != nil {
		return err
	}
	c.IgnoreDaemonSets = f.bool("ignore-daemonsets")
	c.DeleteEmptyDirData = f.bool("delete-emptydir-data")
	c.Force, c.DisableEviction = f.bool("force"), f.bool("disable-eviction")
	c.GracePeriod = f.int("grace-period", -1)
	c.Timeout = f.duration("timeout")
	return nil
}

// isUpdateArg tells kubectl's label/taint update arguments ("k=v", "k-",
// "k:Effect") from object names.
func isUpdateArg(a string, taint bool) bool {
	return strings.Contains(a, "=") || strings.HasSuffix(a, "-") || (taint && strings.Contains(a, ":"))
}

func splitUpdates(args []string, taint bool) (objs, updates []string) {
	for _, a := range args {
		if isUpdateArg(a, taint) {
			updates = append(updates, a)
		} else {
			objs = append(objs, a)
		}
	}
	return objs, updates
}

func parseMeta(c *Command, f *flagValues, args []string) error {
	objs, updates := splitUpdates(args, false)
	what := "label"
	if c.Verb == Annotate {
		what = "annotation"
	}
	if len(updates) == 0 {
		return errorf("at least one %s update is required", what)
	}
	if err := parseResources(c, f, objs); err != nil {
		return err
	}
	c.Overwrite = f.bool("overwrite")
	ups, err := parseMetaUpdates(updates, c.Verb == Label, what)
	c.Updates = ups
	return err
}

func parseMetaUpdates(args []string, isLabel bool, what string) ([]MetaUpdate, error) {
	var out []MetaUpdate
	removed := map[string]bool{}
	for _, a := range args {
		var u MetaUpdate
		if k, v, ok := strings.Cut(a, "="); ok {
			if k == "" || (isLabel && strings.Contains(v, "=")) {
				return nil, errorf("invalid %s spec: %s", what, a)
			}
			u = MetaUpdate{Key: k, Value: v}
		} else {
			u = MetaUpdate{Key: strings.TrimSuffix(a, "-"), Remove: true}
			removed[u.Key] = true
		}
		if errs := validation.IsQualifiedName(u.Key); len(errs) > 0 {
			return nil, errorf("invalid %s spec: %s, %s", what, a, strings.Join(errs, "; "))
		}
		if isLabel && !u.Remove {
			if errs := validation.IsValidLabelValue(u.Value); len(errs) > 0 {
				return nil, errorf("invalid label value: %q: %s", a, strings.Join(errs, "; "))
			}
		}
		out = append(out, u)
	}
	for _, u := range out {
		if !u.Remove && removed[u.Key] {
			article := "a"
			if what == "annotation" {
				article = "an"
			}
			return nil, errorf("can not both modify and remove %s %s in the same command", article, what)
		}
	}
	return out, nil
}

func parseTaint(c *Command, f *flagValues, args []string) error {
	objs, updates := splitUpdates(args, true)
	if len(updates) == 0 {
		return errorf("at least one taint update is required")
	}
	if err := parseSelector(c, f); err != nil {
		return err
	}
	if len(objs) == 0 {
		return errNoResources
	}
	kind, targets, err := parseTargets(objs)
	if err != nil {
		return err
	}
	if kind == "" && len(targets) > 0 {
		kind = targets[0].Kind
	}
	for _, t := range targets {
		if t.Kind != "Node" {
			kind = t.Kind
		}
	}
	if kind != "Node" {
		return errorf("invalid resource type %s, only node types are supported", strings.ToLower(kind)+"s")
	}
	if len(targets) == 0 && c.Selector == "" && !c.All {
		return errorf("resource(s) were provided, but no name was specified")
	}
	c.Kind, c.Targets, c.Overwrite = kind, targets, f.bool("overwrite")
	c.Taints, err = parseTaintSpecs(updates)
	return err
}

// parseTaintSpecs reads taint arguments with kubectl's validation and
// messages.
func parseTaintSpecs(args []string) ([]TaintSpec, error) {
	var out []TaintSpec
	for _, a := range args {
		t, err := parseTaintSpec(a)
		if err != nil {
			return nil, err
		}
		for _, o := range out {
			if !o.Remove && !t.Remove && o.Key == t.Key && o.Effect == t.Effect {
				return nil, errorf("duplicated taints with the same key and effect: %v", corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)})
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func parseTaintSpec(a string) (TaintSpec, error) {
	if spec, ok := strings.CutSuffix(a, "-"); ok {
		t := TaintSpec{Remove: true}
		rest, effect, hasEffect := strings.Cut(spec, ":")
		t.Key, _, _ = strings.Cut(rest, "=")
		if hasEffect {
			if err := checkEffect(effect); err != nil {
				return t, err
			}
			t.Effect = effect
		}
		if errs := validation.IsQualifiedName(t.Key); len(errs) > 0 {
			return t, errorf("invalid taint spec: %s, %s", a, strings.Join(errs, "; "))
		}
		return t, nil
	}
	kv, effect, ok := strings.Cut(a, ":")
	key, value, _ := strings.Cut(kv, "=")
	if !ok {
		// kubectl reports the missing effect as a malformed key.
		key = a
	} else if err := checkEffect(effect); err != nil {
		return TaintSpec{}, err
	}
	if errs := validation.IsQualifiedName(key); len(errs) > 0 {
		return TaintSpec{}, errorf("invalid taint spec: %s, %s", a, strings.Join(errs, "; "))
	}
	if errs := validation.IsValidLabelValue(value); len(errs) > 0 {
		return TaintSpec{}, errorf("invalid taint spec: %s, %s", a, strings.Join(errs, "; "))
	}
	return TaintSpec{Key: key, Value: value, Effect: effect}, nil
}

func checkEffect(e string) error {
	switch corev1.TaintEffect(e) {
	case corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute:
		return nil
	}
	return errorf("invalid taint effect: %s, unsupported taint effect", e)
}

// exposableKinds are the kinds expose reads a selector from, as upstream.
var exposableKinds = []string{"Deployment", "ReplicaSet", "ReplicationController", "Pod", "Service"}

// restartableKinds are the kinds rollout restart restarts, as upstream.
var restartableKinds = []string{"Deployment", "DaemonSet", "StatefulSet"}

// parseRollout reads the deployment of rollout undo/restart.
func parseRollout(c *Command, f *flagValues, args []string) error {
	if len(args) == 0 {
		return errorf("required resource not specified")
	}
	kind, targets, err := parseTargets(args)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		return errorf("resource(s) were provided, but no name was specified")
	}
	for _, t := range targets {
		switch {
		case c.Verb == RolloutRestart:
			if !slices.Contains(restartableKinds, t.Kind) {
				return errorf("%s: restarting is not supported", ref(t.Kind, t.Name))
			}
		case t.Kind != "Deployment":
			return errorf("%s: the simulator supports %s for deployments only", ref(t.Kind, t.Name), c.Verb)
		}
	}
	c.Kind, c.Targets = kind, targets
	c.ToRevision = f.int("to-revision", 0)
	if c.ToRevision < 0 {
		return errorf("revision must be a positive integer: %d", c.ToRevision)
	}
	return nil
}

func parseSetImage(c *Command, f *flagValues, args []string) error {
	var objs []string
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok {
			if k == "" || v == "" {
				return errorf("invalid image update: %s", a)
			}
			c.Images = append(c.Images, ContainerImage{Container: k, Image: v})
		} else {
			objs = append(objs, a)
		}
	}
	if err := parseResources(c, f, objs); err != nil {
		return err
	}
	if len(c.Images) == 0 {
		return errorf("at least one image update is required")
	}
	return nil
}

func parseCreateDeployment(c *Command, f *flagValues, args []string) error {
	c.Image = f.list("image")
	if len(c.Image) == 0 {
		return errorf(`required flag(s) "image" not set`)
	}
	if len(args) != 1 {
		return errorf("exactly one NAME is required, got %d", len(args))
	}
	c.Name, c.Kind = args[0], "Deployment"
	c.Replicas = int32(f.int("replicas", 1))
	c.Port = int32(f.int("port", -1))
	if c.Replicas < 0 {
		return errorf("replicas must be greater than or equal to 0, got %d", c.Replicas)
	}
	if len(c.Image) > 1 && c.Port >= 0 {
		return errorf("cannot specify multiple --image options and --port")
	}
	return nil
}

func parseExpose(c *Command, f *flagValues, args []string) error {
	kind, targets, err := parseTargets(args)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		if kind != "" {
			return errorf("resource(s) were provided, but no name was specified")
		}
		return errNoResources
	}
	if len(targets) > 1 {
		return errorf("expose takes exactly one resource, got %d", len(targets))
	}
	if !slices.Contains(exposableKinds, targets[0].Kind) {
		return errorf("cannot expose a %s", targets[0].Kind)
	}
	c.Kind, c.Targets, c.Name = targets[0].Kind, targets, targets[0].Name
	if err := c.setPort(f); err != nil {
		return err
	}
	c.TargetPort, c.Service = f.str("target-port"), f.str("name")
	c.Type, c.Protocol = f.str("type"), f.str("protocol")
	switch corev1.ServiceType(c.Type) {
	case "", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
	default:
		return errorf("invalid service type %q (supported: ClusterIP, NodePort, LoadBalancer)", c.Type)
	}
	return nil
}

// setPort reads --port, when given, into c.Port as kubectl's generators
// do (strconv.Atoi).
func (c *Command) setPort(f *flagValues) error {
	p := f.str("port")
	if p == "" {
		return nil
	}
	n := 0
	for _, r := range p {
		if r < '0' || r > '9' || n > 65535 {
			return errorf("strconv.Atoi: parsing %q: invalid syntax", p)
		}
		n = n*10 + int(r-'0')
	}
	if n < 1 || n > 65535 {
		return errorf("invalid port %q: must be between 1 and 65535", p)
	}
	c.Port = int32(n)
	return nil
}

func parseRun(c *Command, f *flagValues, args []string) error {
	if !f.has("image") || f.str("image") == "" {
		return errorf(`required flag(s) "image" not set`)
	}
	if len(args) < 1 {
		return errorf("NAME is required for run")
	}
	if len(args) > 1 {
		return errorf("run with a command or arguments is not supported in the simulator: %s", strings.Join(args[1:], " "))
	}
	c.Name, c.Kind, c.Image = args[0], "Pod", []string{f.str("image")}
	if err := c.setPort(f); err != nil {
		return err
	}
	c.Labels, c.Restart = f.str("labels"), f.str("restart")
	if c.Labels != "" {
		if _, err := labels.ConvertSelectorToLabelsMap(c.Labels); err != nil {
			return errorf("%v", err)
		}
	}
	switch corev1.RestartPolicy(c.Restart) {
	case "", corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever:
	default:
		return errorf("invalid restart policy: %s", c.Restart)
	}
	return nil
}

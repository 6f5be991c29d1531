// Package kubectl is the subset of kubectl that scenario timelines, the CLI
// and the TUI use to poke the simulated cluster: Parse turns a command line
// into a Command (flags, short forms and resource aliases as the real
// kubectl spells them, errors worded like kubectl's) and Command.Run
// executes it against the simulated API server, printing what kubectl
// prints.
//
// Everything runs in virtual time: commands that wait in the real kubectl
// (drain's eviction retries and its wait for pods to go) schedule their
// next step on the engine instead of sleeping, and report completion
// through Env.Done.
package kubectl

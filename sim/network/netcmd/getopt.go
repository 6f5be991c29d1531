package netcmd

import (
	"fmt"
	"strconv"
	"strings"
)

// setOpt takes one short option and its value ("" for a flag); it says
// whether the command knows the option, and the complaint about a bad
// value ("" if none).
type setOpt func(c byte, v string) (known bool, msg string)

// shortOptions reads busybox's command line (getopt): "-zv" is -z -v, an
// option listed in withArg takes the rest of its word or the next word.
// It returns the other words in order, or busybox's complaint.
func shortOptions(cmd string, args []string, withArg string, set setOpt) (words []string, msg string) {
	for i := 0; i < len(args); i++ {
		if a := args[i]; !strings.HasPrefix(a, "-") || len(a) == 1 {
			words = append(words, a)
			continue
		}
		if msg := optionCluster(cmd, args, &i, withArg, set); msg != "" {
			return nil, msg
		}
	}
	return words, ""
}

// optionCluster reads the options of the word args[*i] ("-qO-"),
// advancing *i past a value given as the next word.
func optionCluster(cmd string, args []string, i *int, withArg string, set setOpt) string {
	a := args[*i]
	for j := 1; j < len(a); j++ {
		c, v := a[j], ""
		if strings.IndexByte(withArg, c) >= 0 {
			if v = a[j+1:]; v == "" {
				if *i+1 >= len(args) {
					return fmt.Sprintf("%s: option requires an argument -- '%c'\n", cmd, c)
				}
				*i++
				v = args[*i]
			}
			j = len(a)
		}
		known, msg := set(c, v)
		if !known {
			return fmt.Sprintf("%s: invalid option -- '%c'\n", cmd, c)
		}
		if msg != "" {
			return msg
		}
	}
	return ""
}

// longOption reads the long option args[*i] ("--name=value" or
// "--name"), taking its value from the next word when valued[name] says
// it has one; ok is false when that word is missing.
func longOption(args []string, i *int, valued map[string]bool) (name, val string, ok bool) {
	name, val, has := strings.Cut(args[*i][2:], "=")
	if valued[name] && !has {
		if *i+1 >= len(args) {
			return name, "", false
		}
		*i++
		val = args[*i]
	}
	return name, val, true
}

// count reads a non-negative number option's value as busybox does.
func count(cmd, v string) (int, string) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Sprintf("%s: invalid number '%s'\n", cmd, v)
	}
	return n, ""
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
)

// envPrefix starts the name of every flag's environment variable.
const envPrefix = "SCUTTLEBUTT_"

// envName is the environment variable of a flag: "key-file" is
// SCUTTLEBUTT_KEY_FILE.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// envValue is a flag value that takes its environment variable differently
// from one command-line occurrence, as a list flag splitting on commas.
type envValue interface {
	SetEnv(string) error
}

// newFlagSet returns a flag set for subcommand name whose usage lists each
// flag with its environment variable. synopsis follows the command name in
// the usage line; about is a paragraph printed under it.
func newFlagSet(c *cli, name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("scuttlebutt "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: scuttlebutt %s %s\n\n%s\n\nFlags (each also settable from its environment variable):\n", name, synopsis, strings.TrimSpace(about))
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs: flags may come before, between or after
// the positional arguments (a "--" ends the flags), and every flag not given
// on the command line takes its environment variable if that is set and not
// empty. It returns the positional arguments, or an exit code: exitOK for
// -h, exitUsage for an error (already reported on the flag set's output).
func parseFlags(c *cli, fs *flag.FlagSet, args []string) ([]string, int, bool) {
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(f.Usage, envPrefix) {
			f.Usage += " [$" + envName(f.Name) + "]"
		}
	})
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		v := c.getenv(envName(f.Name))
		if v == "" {
			return
		}
		var err error
		if ev, ok := f.Value.(envValue); ok {
			err = ev.SetEnv(v)
		} else {
			err = f.Value.Set(v)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("invalid value %q for $%s: %w", v, envName(f.Name), err))
		}
	})
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(fs.Output(), "%s: %v\n", fs.Name(), err)
		return nil, exitUsage, false
	}
	return positional, 0, true
}

// usageError reports a usage error of fs's command and returns exitUsage.
func usageError(fs *flag.FlagSet, format string, args ...any) int {
	fmt.Fprintf(fs.Output(), "%s: %s\nRun \"%s -h\" for usage.\n", fs.Name(), fmt.Sprintf(format, args...), fs.Name())
	return exitUsage
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set adds the comma-separated values of one occurrence.
func (l *listFlag) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// keyValueFlag is a repeatable key=value flag. On the command line each
// occurrence is one pair whose value may hold any character; its
// environment variable holds comma-separated pairs.
type keyValueFlag struct {
	keys   []string // in order given; a repeated key keeps its last value
	values map[string]string
}

func (f *keyValueFlag) String() string {
	if f == nil {
		return ""
	}
	parts := make([]string, 0, len(f.keys))
	for _, k := range f.keys {
		parts = append(parts, k+"="+f.values[k])
	}
	return strings.Join(parts, ",")
}

// Set adds one key=value pair.
func (f *keyValueFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want key=value", s)
	}
	if f.values == nil {
		f.values = map[string]string{}
	}
	if _, dup := f.values[k]; !dup {
		f.keys = append(f.keys, k)
	}
	f.values[k] = v
	return nil
}

// SetEnv adds comma-separated key=value pairs.
func (f *keyValueFlag) SetEnv(s string) error {
	for kv := range strings.SplitSeq(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		if err := f.Set(kv); err != nil {
			return err
		}
	}
	return nil
}

// Map returns the pairs as a map.
func (f *keyValueFlag) Map() map[string]string {
	m := make(map[string]string, len(f.values))
	for k, v := range f.values {
		m[k] = v
	}
	return m
}

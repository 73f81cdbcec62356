// Command cluster shows scuttlebutt at work on the loopback interface.
//
// By default it runs a demo: three nodes, node-a, node-b and node-c, start in
// one process on free 127.0.0.1 ports, and node-b and node-c join node-a. The
// program prints the membership events each node sees, the key changes that
// reach node-b (through Subscribe), and every second a table of each node's
// view: its live and dead peers and the keys of every node it knows. Along
// the way node-a sets greeting=hello, node-c later sets load=0.42, node-a
// later deletes greeting, and a line reports each change reaching each node.
//
//	go run ./examples/cluster                  # until Ctrl-C
//	go run ./examples/cluster -duration 10s
//	go run ./examples/cluster -interval 1s -cluster demo
//
// With -id it runs a single node instead, so that a cluster of separate
// processes can be started by hand, one per terminal:
//
//	go run ./examples/cluster -id a -listen 127.0.0.1:7001
//	go run ./examples/cluster -id b -listen 127.0.0.1:7002 -join 127.0.0.1:7001 -set role=web
//	go run ./examples/cluster -id c -listen 127.0.0.1:7003 -join 127.0.0.1:7001,127.0.0.1:7002 -set role=db,zone=eu -delete zone
//
// -set k=v sets keys of the node at start (repeatable, or comma-separated)
// and -delete k deletes one of its keys 2.5 seconds after start
// (repeatable). The node prints its events, the key changes it sees and its
// view every second. Stop a node with Ctrl-C, or kill it to see its peers
// convict it after a few seconds of silence.
//
// In both modes -duration stops the program by itself (0, the default, runs
// until interrupted). On exit, and on Ctrl-C or SIGTERM, every node leaves
// the cluster gracefully, so that its peers report it dead at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// options configure run.
type options struct {
	duration time.Duration // 0: until ctx ends
	interval time.Duration // gossip interval
	cluster  string        // cluster ID

	// Single-node mode, when id is set.
	id     string
	listen string
	join   []string
	set    []string // "k=v"
	del    []string

	step  time.Duration // pause between the demo's changes, and before -delete
	every time.Duration // period of the view table
}

func defaultOptions() options {
	return options{
		interval: 200 * time.Millisecond,
		cluster:  "demo",
		listen:   "127.0.0.1:7946",
		step:     2 * time.Second,
		every:    time.Second,
	}
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}

// parseFlags parses the command line into options.
func parseFlags(fs *flag.FlagSet, args []string) (options, error) {
	o := defaultOptions()
	fs.DurationVar(&o.duration, "duration", 0, "stop after this long (0: run until interrupted)")
	fs.DurationVar(&o.interval, "interval", o.interval, "gossip interval")
	fs.StringVar(&o.cluster, "cluster", o.cluster, "cluster ID")
	fs.StringVar(&o.id, "id", "", "run a single node with this ID instead of the three-node demo")
	fs.StringVar(&o.listen, "listen", o.listen, "single node: UDP address to listen on")
	fs.Var((*listFlag)(&o.join), "join", "single node: seed addresses host:port (repeatable, or comma-separated)")
	fs.Var((*listFlag)(&o.set), "set", "single node: set key=value at start (repeatable, or comma-separated)")
	fs.Var((*listFlag)(&o.del), "delete", "single node: delete this key of the node after start (repeatable)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.id == "" {
		for _, name := range []string{"listen", "join", "set", "delete"} {
			if isSet(fs, name) {
				return o, fmt.Errorf("-%s needs -id", name)
			}
		}
	}
	if _, err := parseKeyValues(o.set); err != nil {
		return o, err
	}
	return o, nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// parseKeyValues turns "k=v" strings into a map.
func parseKeyValues(kvs []string) (map[string]string, error) {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-set %q: want key=value", kv)
		}
		m[k] = v
	}
	return m, nil
}

func main() {
	opts, err := parseFlags(flag.CommandLine, os.Args[1:])
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "cluster:", err)
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opts, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

// run runs the demo, or a single node if opts.id is set, until ctx ends or
// opts.duration has passed, and writes what happens to w.
func run(ctx context.Context, opts options, w io.Writer) error {
	if opts.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.duration)
		defer cancel()
	}
	p := newPrinter(w)
	defer p.close()
	if opts.id != "" {
		return runSingle(ctx, opts, p)
	}
	return runDemo(ctx, opts, p)
}

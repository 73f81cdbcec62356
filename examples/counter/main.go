// Command counter is a leaderless distributed counter on scuttlebutt: any
// node takes increments of any counter, any node answers queries, and a
// query says how settled its answer is.
//
// Each node keeps its own running total of each counter in its own
// namespace (key "counter/<K>", a decimal int64), and a query sums the
// totals the node holds: its own, its live peers', and its dead peers'
// until they are collected (after -dead-grace), when they vanish from the
// sum. The per-node totals form a PN-counter CRDT, so every node that holds
// the same versions reads the same value. A reading is complete when every
// member summed has Held == Seen in scuttlebutt's NodeVersion terms and was
// confirmed by a received digest within the last -fresh gossip intervals
// (see pncounter.Read for the exact definition and what it cannot see).
//
// By default it runs a local cluster of -nodes nodes (3) in one process,
// node-1 to node-N, gossiping on 127.0.0.1:7101+i and serving HTTP on
// 127.0.0.1:8101+i; -gossip-base and -http-base move the ports (0: free
// ports). node-2 to node-N join node-1.
//
//	go run ./examples/counter -nodes 5
//	go run ./examples/counter -nodes 5 -gossip-base 0 -http-base 0 -duration 30s
//
// It prints one line per node as the node starts, then "ready nodes=N"
// once all have joined:
//
//	node id=node-1 gossip=127.0.0.1:7101 http=http://127.0.0.1:8101
//
// (space-separated name=value fields after "node"; the other lines are
// membership events such as "[node-1] node-3 is dead").
//
// Every node serves:
//
//	POST   /inc?key=K&delta=N   adds N (an int64, default 1, may be negative) to the node's total of K
//	GET    /query?key=K         streams K's value, one JSON line per gossip round, until settled
//	GET    /query?key=K&once=1  K's value now, as one JSON object
//	DELETE /counter?key=K       withdraws the node's total of K (its contribution), everyone else's stays
//
// A query object has the fields key, node (the node answering), value,
// complete, nodes (members summed), entries (members holding a total of K),
// unconfirmed (the members that kept the reading from being complete),
// unchanged_rounds (the rounds value and complete have stayed the same,
// sampled once per gossip round) and settled (complete and unchanged for
// at least -settle rounds). A stream counts unchanged_rounds from its own
// first line, so it lasts at least -settle rounds, and ends with its first
// settled line; with once=1 they are counted by the node, which samples
// every counter it holds once per round.
// An increment that would overflow the node's total answers 409; a missing
// key or a bad delta 400, a wrong method 405, each with {"error": "..."}.
//
// With -id it runs a single node instead, so that a cluster of separate
// processes can be started by hand:
//
//	go run ./examples/counter -id a -listen 127.0.0.1:7001 -http 127.0.0.1:8001 -state a.json
//	go run ./examples/counter -id b -listen 127.0.0.1:7002 -http 127.0.0.1:8002 -join 127.0.0.1:7001
//
// -state FILE keeps the node's totals in FILE, written atomically after
// each change and published again when the node starts: a node restarted
// with the same ID and file keeps its contribution. A restarted node is a
// new incarnation whose state replaces the old one everywhere, so without
// the file a restart resets its contribution to 0.
//
// In both modes -duration stops the program by itself (0, the default,
// runs until interrupted). On exit, and on Ctrl-C or SIGTERM, every node
// leaves the cluster gracefully, so that its peers report it dead at once.
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

	"github.com/scuttlego/scuttlebutt"
)

// options configure run.
type options struct {
	duration  time.Duration // 0: until ctx ends
	interval  time.Duration // gossip interval
	cluster   string        // cluster ID
	fresh     int           // a confirmation counts for this many gossip intervals
	settle    int           // rounds a complete reading must stay unchanged
	deadGrace time.Duration // FailureDetectorConfig.DeadNodeGracePeriod

	// Local cluster, when id is empty.
	nodes      int
	gossipBase int // first gossip port; 0: free ports
	httpBase   int // first HTTP port; 0: free ports

	// Single-node mode, when id is set.
	id     string
	listen string
	join   []string
	http   string
	state  string

	// configure, if set, adjusts each node's configuration (tests).
	configure func(*scuttlebutt.Config)
}

func defaultOptions() options {
	return options{
		interval:   200 * time.Millisecond,
		cluster:    "counter",
		fresh:      3,
		settle:     3,
		deadGrace:  scuttlebutt.FailureDetectorDefaultConfig().DeadNodeGracePeriod,
		nodes:      3,
		gossipBase: 7101,
		httpBase:   8101,
		listen:     "127.0.0.1:7101",
		http:       "127.0.0.1:8101",
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
	fs.IntVar(&o.fresh, "fresh", o.fresh, "a member's version confirmed by a digest counts as current for this many gossip intervals")
	fs.IntVar(&o.settle, "settle", o.settle, "a streaming query ends once the value has been complete and unchanged for this many rounds")
	fs.DurationVar(&o.deadGrace, "dead-grace", o.deadGrace, "how long a dead node's totals are kept before it is collected")
	fs.IntVar(&o.nodes, "nodes", o.nodes, "local cluster: number of nodes")
	fs.IntVar(&o.gossipBase, "gossip-base", o.gossipBase, "local cluster: gossip port of node-1, the next nodes take the next ports (0: free ports)")
	fs.IntVar(&o.httpBase, "http-base", o.httpBase, "local cluster: HTTP port of node-1, the next nodes take the next ports (0: free ports)")
	fs.StringVar(&o.id, "id", "", "run a single node with this ID instead of a local cluster")
	fs.StringVar(&o.listen, "listen", o.listen, "single node: UDP gossip address")
	fs.Var((*listFlag)(&o.join), "join", "single node: seed addresses host:port (repeatable, or comma-separated)")
	fs.StringVar(&o.http, "http", o.http, "single node: HTTP address")
	fs.StringVar(&o.state, "state", "", "single node: file keeping the node's totals across restarts")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	single, cluster := []string{"listen", "join", "http", "state"}, []string{"nodes", "gossip-base", "http-base"}
	if o.id == "" {
		for _, name := range single {
			if isSet(fs, name) {
				return o, fmt.Errorf("-%s needs -id", name)
			}
		}
	} else {
		for _, name := range cluster {
			if isSet(fs, name) {
				return o, fmt.Errorf("-%s is for a local cluster, not with -id", name)
			}
		}
	}
	switch {
	case o.interval <= 0:
		return o, fmt.Errorf("-interval %v: want a positive duration", o.interval)
	case o.fresh < 1:
		return o, fmt.Errorf("-fresh %d: want at least 1", o.fresh)
	case o.settle < 1:
		return o, fmt.Errorf("-settle %d: want at least 1", o.settle)
	case o.deadGrace <= 0:
		return o, fmt.Errorf("-dead-grace %v: want a positive duration", o.deadGrace)
	case o.nodes < 1:
		return o, fmt.Errorf("-nodes %d: want at least 1", o.nodes)
	}
	for name, base := range map[string]int{"gossip-base": o.gossipBase, "http-base": o.httpBase} {
		if base < 0 || base+o.nodes-1 > 65535 {
			return o, fmt.Errorf("-%s %d: ports %d to %d are not all valid", name, base, base, base+o.nodes-1)
		}
	}
	return o, nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func main() {
	opts, err := parseFlags(flag.CommandLine, os.Args[1:])
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "counter:", err)
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, opts, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "counter:", err)
		os.Exit(1)
	}
}

// run runs a local cluster, or a single node if opts.id is set, until ctx
// ends or opts.duration has passed, and writes what happens to w.
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
	return runCluster(ctx, opts, p)
}

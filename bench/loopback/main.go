// Command loopback compares how fast github.com/scuttlego/scuttlebutt and
// github.com/hashicorp/memberlist converge on the loopback interface.
//
// Each run starts -nodes fresh nodes of one library on 127.0.0.1 (free ports,
// LAN defaults, logs discarded) and measures, by polling every node every
// 5 ms with time.Now deltas:
//
//   - join: from telling every node to join node 0 (the seed) until every
//     node sees all -nodes nodes live;
//   - propagate: from node 1 publishing a value (scuttlebutt: Set of a key;
//     memberlist: a user message queued on a TransmitLimitedQueue served by
//     its Delegate) until every other node holds it;
//   - detect: from shutting the last node down without leaving until every
//     other node considers it dead; at once after propagate, or after the
//     cluster ran for -settle more (a node killed within a second of its
//     join has sent its observers no heartbeat yet);
//   - with -idle W, after -settle and before detect: the bytes the nodes
//     sent over a window of W at rest, per node and second (scuttlebutt: the
//     sum of Stats.BytesSent; memberlist: every byte its transport wrote,
//     datagrams and TCP push/pull streams).
//
// A time is taken when a poll finds the condition true, so it is resolved to
// about 5 ms plus the cost of one poll. Then every node is shut down and the
// next run starts from scratch. Every wait is bounded by -timeout, and a wait
// that ends there is reported as a timeout. With -lib both the runs of the two
// libraries alternate. Run it from this directory:
//
//	go run . -lib both -nodes 20 -runs 5
//	go run . -lib both -nodes 20 -runs 3 -settle 30s -idle 60s
//	go run . -lib memberlist -nodes 10 -runs 3 -json
//
// It prints one line per run and a summary (median and maximum of each
// measure per library); with -json the lines go to stderr and stdout gets one
// JSON object.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	lib := flag.String("lib", "both", "library to measure: scuttlebutt, memberlist or both")
	nodes := flag.Int("nodes", 20, "nodes per cluster (at least 3)")
	runs := flag.Int("runs", 5, "runs per library, each with a fresh cluster")
	timeout := flag.Duration("timeout", 60*time.Second, "longest wait for each measure")
	settle := flag.Duration("settle", 0, "let the cluster run this long after propagate before the idle window and the kill (0: at once)")
	idle := flag.Duration("idle", 0, "after propagate and -settle, measure the bytes each node sends at rest over this window (0: skip)")
	asJSON := flag.Bool("json", false, "print one JSON object on stdout (run lines go to stderr)")
	flag.Parse()

	var libs []library
	switch *lib {
	case "scuttlebutt":
		libs = []library{scuttlebuttLib}
	case "memberlist":
		libs = []library{memberlistLib}
	case "both":
		libs = []library{scuttlebuttLib, memberlistLib}
	default:
		fmt.Fprintf(os.Stderr, "unknown -lib %q: want scuttlebutt, memberlist or both\n", *lib)
		os.Exit(2)
	}
	if *nodes < 3 || *runs < 1 || *timeout <= 0 {
		fmt.Fprintln(os.Stderr, "-nodes must be at least 3, -runs at least 1 and -timeout positive")
		os.Exit(2)
	}

	lines := os.Stdout
	if *asJSON {
		lines = os.Stderr
	}
	rep := report{Nodes: *nodes, Runs: *runs, TimeoutS: timeout.Seconds()}
	results := make([][]runResult, len(libs))
	for r := 1; r <= *runs; r++ {
		for i, l := range libs {
			res := measureRun(l, *nodes, r, *timeout, *settle, *idle)
			fmt.Fprintln(lines, res.line(l.name, *runs))
			results[i] = append(results[i], res)
		}
	}
	for i, l := range libs {
		rep.Libraries = append(rep.Libraries, summarize(l.name, results[i]))
	}
	if *asJSON {
		if err := rep.writeJSON(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	rep.writeText(os.Stdout)
}

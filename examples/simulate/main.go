// Command simulate runs a scenario of the deterministic cluster simulator
// (internal/sim) on the real protocol engine and prints its metrics.
//
//	go run ./examples/simulate -scenario crash -nodes 1000 -seed 1
//	go run ./examples/simulate -scenario update -nodes 200 -json
//	go run ./examples/simulate -scenario loss -nodes 100 -svg loss.svg
//	go run ./examples/simulate -scenario steady -nodes 100 -loss 0.01 -duration 30m
//	go run ./examples/simulate -scenario counter -nodes 100 -inc-every 1ms -keys 10
//
// Nodes run the library's defaults (gossip.DefaultConfig, as
// DefaultLANConfig): compression on (-nocompress turns it off), changes
// pushed (-nopush leaves them to anti-entropy), -observers K, -fanout,
// -phi, -packet and -interval as the library sets them.
//
// -inc-every, -keys and -queries set the load of scenario counter.
//
// -list names the scenarios. The same flags and seed always give the same
// run (compare trace_hash). The JSON field names are documented in the
// package comment of internal/sim.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/scuttlego/scuttlebutt/internal/sim"
)

func main() {
	lib := gossip.DefaultConfig()
	var (
		scenario   = flag.String("scenario", "update", "scenario to run (see -list)")
		list       = flag.Bool("list", false, "list the scenarios and exit")
		nodes      = flag.Int("nodes", 50, "number of nodes")
		seed       = flag.Uint64("seed", 1, "random seed: the same seed gives the same run")
		interval   = flag.Duration("interval", lib.GossipInterval, "gossip interval")
		fanout     = flag.Int("fanout", lib.GossipNodes, "peers gossiped with per interval, and pushed to per change (GossipNodes)")
		phi        = flag.Float64("phi", lib.Detector.PhiThreshold, "phi threshold of the failure detector")
		packet     = flag.Int("packet", lib.MaxPacketSize, "MaxPacketSize in bytes")
		observers  = flag.Int("observers", lib.Observers, "observers watching each node (Observers, K)")
		noPush     = flag.Bool("nopush", false, "DisablePush: changes travel by anti-entropy alone")
		noCompress = flag.Bool("nocompress", false, "turn compression off (on by default, as in the library)")
		loss       = flag.Float64("loss", 0, "uniform datagram loss during the measured phase (0..1)")
		latency    = flag.Duration("latency", 2*time.Millisecond, "mean one-way latency")
		jitter     = flag.Duration("jitter", time.Millisecond, "per-datagram jitter")
		dup        = flag.Float64("dup", 0, "probability that a datagram is delivered twice")
		reorder    = flag.Float64("reorder", 0, "probability that a datagram is held back and overtaken")
		rounds     = flag.Int("rounds", 0, "length of the measured phase in gossip intervals (0: the scenario's default)")
		duration   = flag.Duration("duration", 0, "length of the measured phase as a duration (overrides -rounds)")
		warmup     = flag.Int("warmup", 0, "bound on the warm-up in rounds (0: default)")
		cold       = flag.Bool("cold", false, "warm up by a real bootstrap through three seeds instead of starting with every node knowing every member")
		window     = flag.Uint("window", 0, "failure detector SamplingWindowSize (0: the library default)")
		tombstone  = flag.Duration("tombstone-grace", 0, "TombstoneGracePeriod (0: the library's, 20s in delete-storm and gc-partition)")
		deadGrace  = flag.Duration("dead-grace", 0, "DeadNodeGracePeriod (0: the library's)")
		incEvery   = flag.Duration("inc-every", time.Millisecond, "counter: virtual time between two increments")
		keys       = flag.Int("keys", 10, "counter: number of counters incremented")
		queries    = flag.Int("queries", 10, "counter: queries per gossip round, at random nodes")
		jsonOut    = flag.Bool("json", false, "print one JSON object instead of a table")
		svgFile    = flag.String("svg", "", "write a plot of update spread and detection times to this SVG file")
		cpuProfile = flag.String("cpuprofile", "", "write a CPU profile to this file")
		memProfile = flag.String("memprofile", "", "write an allocation profile to this file")
		gcPercent  = flag.Int("gogc", 400, "garbage collector target percentage (GOGC); the simulated cluster's state is large and long-lived")
		memLimit   = flag.Int64("memlimit", 0, "soft memory limit in GiB (GOMEMLIMIT; 0: none): the collector works harder near it, so large runs fit")
	)
	flag.Parse()
	if *list {
		for _, s := range sim.Scenarios {
			fmt.Printf("%-14s %s\n", s.Name, s.Doc)
		}
		return
	}
	debug.SetGCPercent(*gcPercent)
	if *memLimit > 0 {
		debug.SetMemoryLimit(*memLimit << 30)
	}
	sc, ok := sim.Lookup(*scenario)
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown scenario %q; -list shows them\n", *scenario)
		os.Exit(2)
	}
	c := sim.Common{
		Nodes: *nodes, Seed: *seed, Interval: *interval, Fanout: *fanout, Phi: *phi, PacketSize: *packet,
		Observers: *observers, DisablePush: *noPush, NoCompress: *noCompress,
		Loss: *loss, Latency: *latency, Jitter: *jitter, Duplicate: *dup, Reorder: *reorder,
		Rounds: *rounds, WarmupRounds: *warmup, ColdStart: *cold,
		TombstoneGrace: *tombstone, DeadGrace: *deadGrace,
	}
	if *duration > 0 {
		c.Rounds = int((*duration + *interval - 1) / *interval)
	}
	if *window > 0 {
		w := *window
		c.Configure = func(cfg *gossip.Config) { cfg.Detector.SamplingWindowSize = w }
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	run := sc.Run
	if sc.Name == "counter" {
		run = func(c sim.Common) (*sim.Result, error) {
			return sim.Counter(sim.CounterParams{Common: c, IncEvery: *incEvery, Keys: *keys, Queries: *queries})
		}
	}
	res, err := run(c)
	if err != nil {
		fatal(err)
	}
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			fatal(err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			fatal(err)
		}
		f.Close()
	}
	if *svgFile != "" {
		f, err := os.Create(*svgFile)
		if err != nil {
			fatal(err)
		}
		if err := res.WriteSVG(f); err != nil {
			fatal(err)
		}
		if err := f.Close(); err != nil {
			fatal(err)
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fatal(err)
		}
		return
	}
	if err := res.WriteTable(os.Stdout); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "simulate:", err)
	os.Exit(1)
}

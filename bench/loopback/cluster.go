package main

import (
	"fmt"
	"time"
)

// A cluster is a running set of nodes of one library, numbered from 0. Node 0
// is the seed, node 1 publishes, and the last node is killed.
type cluster interface {
	// join tells every node but node 0 to join node 0, without waiting for
	// the answers; errors arrive on the channel, which holds one per node.
	join() <-chan error
	// allJoined reports whether every node sees every node as live.
	allJoined() bool
	// publish makes node 1 spread value.
	publish(value string) error
	// allReceived reports whether every node but node 1 holds value.
	allReceived(value string) bool
	// bytesSent returns the bytes every node not killed sent so far.
	bytesSent() uint64
	// kill stops the last node abruptly, without leaving.
	kill() error
	// allDetected reports whether every remaining node considers the last
	// node dead.
	allDetected() bool
	// close shuts every node down.
	close()
}

// A library starts clusters of n nodes.
type library struct {
	name  string
	start func(n int) (cluster, error)
}

// measureRun starts a fresh cluster of n nodes, measures join, propagate,
// then, after the cluster ran for settle more, the bytes sent at rest over
// idle (when positive) and detect, in that order, and shuts the cluster
// down.
func measureRun(lib library, n, run int, timeout, settle, idle time.Duration) runResult {
	res := runResult{Run: run}
	c, err := lib.start(n)
	if err != nil {
		res.Error = "start: " + err.Error()
		return res
	}
	defer c.close()

	start := time.Now()
	joinErrs := c.join()
	res.Join = waitUntil(start, timeout, c.allJoined)
	for len(joinErrs) > 0 {
		res.Notes = append(res.Notes, "join: "+(<-joinErrs).Error())
	}
	if res.Join.Status != statusOK {
		res.Propagate, res.Detect = skipped(), skipped()
		return res
	}

	value := fmt.Sprintf("v%d", run)
	start = time.Now()
	if err := c.publish(value); err != nil {
		res.Propagate = failed(err)
	} else {
		res.Propagate = waitUntil(start, timeout, func() bool { return c.allReceived(value) })
	}

	time.Sleep(settle) // the cluster runs on its own: not a synchronisation
	if idle > 0 {
		before := c.bytesSent()
		time.Sleep(idle) // a measuring window: the cluster runs on its own
		bps := float64(c.bytesSent()-before) / float64(n) / idle.Seconds()
		res.IdleBytesPerNodePerSec = &bps
	}
	start = time.Now()
	if err := c.kill(); err != nil {
		res.Detect = failed(err)
	} else {
		res.Detect = waitUntil(start, timeout, c.allDetected)
	}
	return res
}

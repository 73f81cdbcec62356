package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// pollInterval is how often a wait checks its condition.
const pollInterval = 5 * time.Millisecond

// Statuses of a measure.
const (
	statusOK      = "ok"
	statusTimeout = "timeout"
	statusSkipped = "skipped" // an earlier measure of the run failed
	statusError   = "error"
)

// A measure is one timed wait.
type measure struct {
	Status string        `json:"status"`
	D      time.Duration `json:"-"`
	MS     *float64      `json:"ms,omitempty"` // D in milliseconds, when Status is ok
	Error  string        `json:"error,omitempty"`
}

func skipped() measure         { return measure{Status: statusSkipped} }
func failed(err error) measure { return measure{Status: statusError, Error: err.Error()} }

func (m measure) String() string {
	switch m.Status {
	case statusOK:
		return fmtDuration(m.D)
	case statusError:
		return "error (" + m.Error + ")"
	}
	return m.Status
}

// waitUntil polls cond every pollInterval until it holds, and returns the time
// since start at the first check that found it true; it gives up timeout
// after start.
func waitUntil(start time.Time, timeout time.Duration, cond func() bool) measure {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		if cond() {
			d := time.Since(start)
			ms := float64(d) / float64(time.Millisecond)
			return measure{Status: statusOK, D: d, MS: &ms}
		}
		if time.Since(start) >= timeout {
			return measure{Status: statusTimeout}
		}
		<-tick.C
	}
}

// runResult holds the measures of one run.
type runResult struct {
	Run       int     `json:"run"`
	Join      measure `json:"join"`
	Propagate measure `json:"propagate"`
	Detect    measure `json:"detect"`
	// IdleBytesPerNodePerSec is what a node sent per second at rest, after
	// propagate and -settle, over -idle (absent without -idle).
	IdleBytesPerNodePerSec *float64 `json:"idle_bytes_per_node_per_sec,omitempty"`
	Error                  string   `json:"error,omitempty"` // the cluster did not start
	Notes                  []string `json:"notes,omitempty"` // errors returned by Join
}

func (r runResult) line(lib string, runs int) string {
	s := fmt.Sprintf("%-11s run %d/%d: ", lib, r.Run, runs)
	if r.Error != "" {
		return s + r.Error
	}
	s += fmt.Sprintf("join %s  propagate %s  detect %s", r.Join, r.Propagate, r.Detect)
	if r.IdleBytesPerNodePerSec != nil {
		s += fmt.Sprintf("  idle %.0f B/node/s", *r.IdleBytesPerNodePerSec)
	}
	if len(r.Notes) > 0 {
		s += "  [" + strings.Join(r.Notes, "; ") + "]"
	}
	return s
}

// stats summarizes one measure over the runs where it succeeded.
type stats struct {
	OK       int     `json:"ok"`
	Runs     int     `json:"runs"`
	MedianMS float64 `json:"median_ms"`
	MaxMS    float64 `json:"max_ms"`
}

func newStats(ms []measure) stats {
	var ds []time.Duration
	for _, m := range ms {
		if m.Status == statusOK {
			ds = append(ds, m.D)
		}
	}
	s := stats{OK: len(ds), Runs: len(ms)}
	if len(ds) == 0 {
		return s
	}
	slices.Sort(ds)
	median := ds[len(ds)/2]
	if len(ds)%2 == 0 {
		median = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	s.MedianMS = float64(median) / float64(time.Millisecond)
	s.MaxMS = float64(ds[len(ds)-1]) / float64(time.Millisecond)
	return s
}

// fmtDuration prints d in milliseconds below a second and in seconds above.
func fmtDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3fs", d.Seconds())
}

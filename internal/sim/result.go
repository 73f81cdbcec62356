package sim

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Result holds the metrics of one scenario run. The JSON field names are
// documented in the package comment. Metrics a scenario does not measure
// are zero: see UpdateNodes and DetectionPairs.
type Result struct {
	Scenario      string  `json:"scenario"`
	Nodes         int     `json:"nodes"`
	Seed          uint64  `json:"seed"`
	IntervalSec   float64 `json:"gossip_interval_seconds"`
	Fanout        int     `json:"fanout"`
	PhiThreshold  float64 `json:"phi_threshold"`
	MaxPacketSize int     `json:"max_packet_size"`
	Observers     int     `json:"observers"`
	Compression   bool    `json:"compression"`
	Push          bool    `json:"push"`
	Loss          float64 `json:"loss"`
	LatencySec    float64 `json:"latency_seconds"`
	WarmupSeconds float64 `json:"warmup_seconds"`
	WarmupOK      bool    `json:"warmup_converged"`
	// AllMembersSeconds (bootstrap) is when every node first saw all
	// members at once, -1 if never.
	AllMembersSeconds float64 `json:"all_members_seconds,omitempty"`
	VirtualSeconds    float64 `json:"virtual_seconds"`
	WallSeconds       float64 `json:"wall_seconds"`
	NodeRounds        uint64  `json:"node_rounds"`

	// Propagation of one update.
	UpdateNodes           int     `json:"update_nodes"`
	UpdateMissing         int     `json:"update_missing"`
	ConvergenceRoundsP50  float64 `json:"convergence_rounds_p50"`
	ConvergenceRoundsP99  float64 `json:"convergence_rounds_p99"`
	ConvergenceRoundsMax  float64 `json:"convergence_rounds_max"`
	ConvergenceSecondsP50 float64 `json:"convergence_seconds_p50"`
	ConvergenceSecondsP99 float64 `json:"convergence_seconds_p99"`
	ConvergenceSecondsMax float64 `json:"convergence_seconds_max"`

	// Detection of failed nodes.
	DetectionPairs      int     `json:"detection_pairs"`
	DetectionMissing    int     `json:"detection_missing"`
	DetectionSecondsP50 float64 `json:"detection_seconds_p50"`
	DetectionSecondsP99 float64 `json:"detection_seconds_p99"`
	DetectionSecondsMax float64 `json:"detection_seconds_max"`

	// NodeDead events by cause, in the measured phase.
	WarmupFalseDead        int     `json:"warmup_false_dead_events"`
	FalseDeadEvents        int     `json:"false_dead_events"`
	FalseDeadPerNodeHour   float64 `json:"false_dead_per_node_hour"`
	FalseDeadEventsHealthy int     `json:"false_dead_events_healthy"`
	FaultDeadEvents        int     `json:"fault_dead_events"`
	TrueDeadEvents         int     `json:"true_dead_events"`
	// FalseLiveEvents counts NodeLive events about nodes that were down.
	FalseLiveEvents int `json:"false_live_events"`
	// FalseLiveDownSecondsMax is the longest a node reported live by one
	// of those events had been down.
	FalseLiveDownSecondsMax float64 `json:"false_live_down_seconds_max"`

	// Traffic over the measured phase.
	BytesPerNodePerSecMean     float64 `json:"bytes_per_node_per_sec_mean"`
	BytesPerNodePerSecP99      float64 `json:"bytes_per_node_per_sec_p99"`
	BytesPerNodePerSecMax      float64 `json:"bytes_per_node_per_sec_max"`
	DatagramsPerNodePerSecMean float64 `json:"datagrams_per_node_per_sec_mean"`
	DatagramsPerNodePerSecP99  float64 `json:"datagrams_per_node_per_sec_p99"`
	DatagramsPerNodePerSecMax  float64 `json:"datagrams_per_node_per_sec_max"`
	MaxDatagramBytes           int     `json:"max_datagram_bytes"`

	// Agreement.
	Converged                   bool    `json:"converged"`
	ConvergedAfterSeconds       float64 `json:"converged_after_seconds"`
	DistinctMemberCountsMax     int     `json:"distinct_member_counts_max"`
	DistinctMemberCountsHealthy int     `json:"distinct_member_counts_max_healthy"`
	StuckPairs                  int     `json:"stuck_pairs"`

	// Lifecycle checks.
	StaleKeys             int     `json:"stale_keys,omitempty"`
	ResetsNeeded          int     `json:"resets_needed,omitempty"`
	MissingKeys           int     `json:"missing_keys,omitempty"`
	LeaveDetectionSecP50  float64 `json:"leave_detection_seconds_p50,omitempty"`
	LeaveDetectionSecP99  float64 `json:"leave_detection_seconds_p99,omitempty"`
	LeaveDetectionSecMax  float64 `json:"leave_detection_seconds_max,omitempty"`
	LeaveDetectionMissing int     `json:"leave_detection_missing,omitempty"`

	// Faulty nodes (lossy-few, flipflop); nil elsewhere.
	*FaultResult
	// The counter scenario's figures; nil elsewhere.
	*CounterResult

	// BootstrapSeconds (bootstrap) is the time from the last node's start
	// until every node sees all the others live, -1 if never.
	BootstrapSeconds float64 `json:"bootstrap_seconds,omitempty"`
	// JoinStateSeconds (join) is the time from the joiner's start until it
	// holds every running node's state at its owner's version, -1 if never;
	// JoinPeakBytesPerSec the most bytes any node sent in one second
	// meanwhile.
	JoinStateSeconds    float64 `json:"join_state_seconds,omitempty"`
	JoinPeakBytesPerSec float64 `json:"join_peak_bytes_per_sec,omitempty"`

	// Anomalies counted by the engines; 0 unless there is a bug.
	DroppedOutgoing  uint64 `json:"dropped_outgoing"`
	DroppedMalformed uint64 `json:"dropped_malformed"`

	TraceHash string    `json:"trace_hash"`
	Notes     []string  `json:"notes,omitempty"`
	Sweep     []*Result `json:"sweep,omitempty"`

	// UpdateTimes and DetectionTimes are the raw samples behind the
	// percentiles, sorted, for plots.
	UpdateTimes    []time.Duration `json:"-"`
	DetectionTimes []time.Duration `json:"-"`
	// MemberCountSeries is the number of distinct member counts at each
	// sample (one per gossip interval).
	MemberCountSeries []int `json:"-"`
}

// WriteTable writes the result as a readable table.
func (r *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k string, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...))
	}
	row("scenario", "%s (%d nodes, seed %d)", r.Scenario, r.Nodes, r.Seed)
	row("config", "interval %.3gs, fanout %d, phi %g, max packet %d B, %d observers, compression %s, push %s, loss %.3g, latency %.3gms",
		r.IntervalSec, r.Fanout, r.PhiThreshold, r.MaxPacketSize, r.Observers, onOff(r.Compression), onOff(r.Push), r.Loss, r.LatencySec*1000)
	if r.Scenario == "bootstrap" {
		row("bootstrap", "membership complete after %.1fs; all members seen by all at once after %.1fs, %.1fs after the last start (-1: never)",
			r.WarmupSeconds, r.AllMembersSeconds, r.BootstrapSeconds)
	} else {
		row("warm-up", "%.1fs virtual, converged %v, %d false NodeDead", r.WarmupSeconds, r.WarmupOK, r.WarmupFalseDead)
	}
	row("run", "%.1fs virtual, %.2fs wall, %d node-rounds", r.VirtualSeconds, r.WallSeconds, r.NodeRounds)
	if r.UpdateNodes > 0 {
		row("update convergence (rounds)", "p50 %.2f  p99 %.2f  max %.2f", r.ConvergenceRoundsP50, r.ConvergenceRoundsP99, r.ConvergenceRoundsMax)
		row("update convergence (s)", "p50 %.3f  p99 %.3f  max %.3f", r.ConvergenceSecondsP50, r.ConvergenceSecondsP99, r.ConvergenceSecondsMax)
		row("update reached", "%d of %d nodes", r.UpdateNodes-r.UpdateMissing, r.UpdateNodes)
	}
	if r.DetectionPairs > 0 {
		row("detection (s)", "p50 %.3f  p99 %.3f  max %.3f", r.DetectionSecondsP50, r.DetectionSecondsP99, r.DetectionSecondsMax)
		row("detected", "%d of %d (observer, failed node) pairs", r.DetectionPairs-r.DetectionMissing, r.DetectionPairs)
	}
	if r.LeaveDetectionSecP99 > 0 || r.LeaveDetectionMissing > 0 {
		row("leave seen dead (s)", "p50 %.3f  p99 %.3f  max %.3f, missing %d", r.LeaveDetectionSecP50, r.LeaveDetectionSecP99, r.LeaveDetectionSecMax, r.LeaveDetectionMissing)
	}
	row("false NodeDead", "%d (%.3g per node-hour; %d between healthy nodes)", r.FalseDeadEvents, r.FalseDeadPerNodeHour, r.FalseDeadEventsHealthy)
	row("NodeDead under faults / true", "%d / %d", r.FaultDeadEvents, r.TrueDeadEvents)
	row("NodeLive about down nodes", "%d (down %.1f s at most)", r.FalseLiveEvents, r.FalseLiveDownSecondsMax)
	row("bytes/node/s", "mean %.0f  p99 %.0f  max %.0f", r.BytesPerNodePerSecMean, r.BytesPerNodePerSecP99, r.BytesPerNodePerSecMax)
	row("datagrams/node/s", "mean %.2f  p99 %.2f  max %.2f", r.DatagramsPerNodePerSecMean, r.DatagramsPerNodePerSecP99, r.DatagramsPerNodePerSecMax)
	row("largest datagram", "%d B", r.MaxDatagramBytes)
	since := "the last fault"
	if r.Scenario == "bootstrap" {
		since = "the start"
	}
	switch {
	case r.ConvergedAfterSeconds > 0:
		row("identical state", "%v at the end; reached %.1fs after %s", r.Converged, r.ConvergedAfterSeconds, since)
	case r.ConvergedAfterSeconds < 0:
		row("identical state", "%v at the end; never reached after %s", r.Converged, since)
	default:
		row("identical state", "%v at the end", r.Converged)
	}
	row("distinct member counts", "max %d (healthy nodes: %d)", r.DistinctMemberCountsMax, r.DistinctMemberCountsHealthy)
	if f := r.FaultResult; f != nil {
		row("faulty nodes", "%d; NodeDead about one per healthy node: %d to %d, NodeLive at most %d", f.FaultNodes,
			f.FaultNodeDeadPerObserverMin, f.FaultNodeDeadPerObserverMax, f.FaultNodeLivePerObserverMax)
		row("faulty nodes removed", "first NodeDead by every healthy node within %.1fs (-1: not all); at the fault's end out at %.1f%% of the healthy nodes at least",
			f.FaultNodeDeadSecondsMax, 100*f.FaultNodeRemovedShareMin)
		row("healthy nodes", "%d NodeDead about them; at most %d distinct member counts among them from %v into the fault",
			f.HealthyNodeDeadEvents, f.DistinctMemberCountsHealthyLate, AgreementDelay)
	}
	if r.CounterResult != nil {
		r.CounterResult.rows(row)
	}
	row("stuck pairs", "%d", r.StuckPairs)
	if r.StaleKeys > 0 || r.MissingKeys > 0 || strings.Contains("delete-storm gc-partition", r.Scenario) {
		row("stale / missing keys", "%d / %d", r.StaleKeys, r.MissingKeys)
	}
	row("engine anomalies", "dropped outgoing %d, malformed %d", r.DroppedOutgoing, r.DroppedMalformed)
	row("trace hash", "%s", r.TraceHash)
	for _, n := range r.Notes {
		row("note", "%s", n)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Sweep) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "loss\tconv p99 (rounds)\tmissing\tdetect p99 (s)\tundetected\tfalse dead\tbytes/node/s\tidentical\t")
		for _, p := range r.Sweep {
			fmt.Fprintf(tw, "%.0f%%\t%.2f\t%d\t%.2f\t%d\t%d\t%.0f\t%v\t\n", p.Loss*100, p.ConvergenceRoundsP99, p.UpdateMissing,
				p.DetectionSecondsP99, p.DetectionMissing, p.FalseDeadEvents, p.BytesPerNodePerSecMean, p.Converged)
		}
		return tw.Flush()
	}
	return nil
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

package gossip

import (
	"slices"
	"time"
)

// Stats is a snapshot of a node's counters; the fields mean what those of
// the library's Stats of the same names mean.
type Stats struct {
	PacketsSent, BytesSent, PacketsReceived, BytesReceived uint64
	DroppedMalformed, DroppedAuth, DroppedClusterMismatch  uint64
	DroppedOversize, DroppedOutgoing                       uint64
	WrongClusterReplies, Rounds                            uint64
	// Liveness: heartbeats sent and received, alerts this node raised and
	// withdrew, verdicts it applied (members removed), push datagrams sent
	// (first-hand and forwarded), and how often this node was itself
	// removed and rejoined.
	HeartbeatsSent, HeartbeatsReceived uint64
	// HeartbeatsLingering counts the heartbeats of HeartbeatsSent that
	// went to observers the rings dropped lately (linger.go).
	HeartbeatsLingering uint64
	// ProbesSent counts the Syns sent to relayed incarnations to confirm
	// them first-hand (probe.go).
	ProbesSent uint64
	// SumsSent counts the Sums sent (an exchange's cheap opening and its
	// answer, sum.go); ExchangesInSync the exchanges that found this
	// node's view equal to the peer's and so carried nothing more.
	SumsSent, ExchangesInSync uint64
	// RangesSent counts the steps of range reconciliation this node sent
	// (ranges.go): range fingerprints, or the nodes of differing ranges.
	RangesSent uint64
	// TransfersStarted counts the state transfers this node started to
	// nodes that lacked most of its state, TransferDatagrams the datagrams
	// they took (transfer.go).
	TransfersStarted, TransferDatagrams uint64
	AlertsRaised, AlertsWithdrawn       uint64
	// AlertsOnLoss counts the alerts raised because an edge was lossy
	// (edgeloss.go), not silent.
	AlertsOnLoss                uint64
	VerdictsApplied, PushesSent uint64
	TimesRemoved, Rejoins       uint64
	// Phi is the current suspicion level of each live peer, by node ID.
	Phi map[string]float64
	// DatagramSizes, RoundTrips and ConvictionPhi are histograms of the
	// sizes of datagrams sent (bytes), of exchange round trips (seconds,
	// a round's Syn to its SynAck, or its Sum to the Sum answering it) and of phi at each conviction.
	DatagramSizes, RoundTrips, ConvictionPhi Histogram
}

// Stats returns the counters, the phi at now of each edge this node
// observes (its live subjects that sent it heartbeats), and the histograms.
func (e *Engine) Stats(now time.Time) Stats {
	s := e.stats
	s.DatagramSizes = e.sizes.snapshot()
	s.RoundTrips = e.rtts.snapshot()
	s.ConvictionPhi = e.convictions.snapshot()
	s.Phi = make(map[string]float64)
	for _, n := range e.edges {
		if n.status == statusLive {
			s.Phi[n.id] = e.edgeOf(n).window.Phi(now)
		}
	}
	return s
}

// Histogram is a cumulative histogram of observations, in the form Prometheus
// exposes: Counts[i] observations were at or below Bounds[i], and Count and
// Sum cover every observation, including those above the last bound.
type Histogram struct {
	// Bounds are the buckets' upper bounds, ascending.
	Bounds []float64
	// Counts are the cumulative counts, one per bound.
	Counts []uint64
	// Count is the number of observations.
	Count uint64
	// Sum is the sum of the observations.
	Sum float64
}

// Bucket bounds of the histograms in Stats.
var (
	// datagramSizeBounds are in bytes.
	datagramSizeBounds = []float64{64, 128, 256, 512, 768, 1024, 1400, 2048, 4096, 8192, 16384, 65507}
	// roundTripBounds are in seconds.
	roundTripBounds = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}
	// convictionPhiBounds are phi values.
	convictionPhiBounds = []float64{1, 2, 4, 8, 10, 12, 16, 20, 30, 50, 100}
)

// histogram accumulates observations into fixed buckets.
type histogram struct {
	bounds []float64 // shared, never modified
	counts []uint64  // per bucket (not cumulative), one per bound
	count  uint64
	sum    float64
}

func newHistogram(bounds []float64) histogram {
	return histogram{bounds: bounds, counts: make([]uint64, len(bounds))}
}

// observe adds one observation.
func (h *histogram) observe(v float64) {
	h.count++
	h.sum += v
	if i, _ := slices.BinarySearch(h.bounds, v); i < len(h.counts) {
		h.counts[i]++
	}
}

// snapshot returns a cumulative copy.
func (h *histogram) snapshot() Histogram {
	s := Histogram{Bounds: slices.Clone(h.bounds), Counts: make([]uint64, len(h.counts)), Count: h.count, Sum: h.sum}
	var c uint64
	for i, n := range h.counts {
		c += n
		s.Counts[i] = c
	}
	return s
}

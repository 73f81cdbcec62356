package scuttlebutt

import (
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// Stats is a snapshot of a node's counters.
type Stats struct {
	// PacketsSent and BytesSent count datagrams handed to the transport.
	PacketsSent uint64
	BytesSent   uint64
	// PacketsReceived and BytesReceived count every datagram read, valid or not.
	PacketsReceived uint64
	BytesReceived   uint64
	// DroppedMalformed counts datagrams that could not be parsed or decoded
	// (including unknown header flags and corrupt compressed bodies).
	DroppedMalformed uint64
	// DroppedAuth counts datagrams that failed authentication or were not
	// encrypted on an encrypted cluster (or the reverse).
	DroppedAuth uint64
	// DroppedClusterMismatch counts datagrams carrying another cluster ID.
	DroppedClusterMismatch uint64
	// DroppedOversize counts received datagrams larger than MaxPacketSize,
	// or whose body decompresses to more than four times MaxPacketSize.
	DroppedOversize uint64
	// DroppedOutgoing counts datagrams this node built but did not send
	// because they exceeded MaxPacketSize. Always 0 unless there is a bug.
	DroppedOutgoing uint64
	// WrongClusterReplies counts "wrong cluster" answers received: some
	// node of another cluster is in our seed list or the reverse.
	WrongClusterReplies uint64
	// Rounds counts gossip rounds.
	Rounds uint64
	// HeartbeatsSent and HeartbeatsReceived count the direct heartbeats
	// this node sent to its observers and received from its subjects.
	HeartbeatsSent     uint64
	HeartbeatsReceived uint64
	// AlertsRaised and AlertsWithdrawn count this node's alerts about its
	// subjects: raised when a subject's phi crossed the threshold,
	// withdrawn when its heartbeats resumed before a verdict.
	AlertsRaised    uint64
	AlertsWithdrawn uint64
	// VerdictsApplied counts the members this node removed on their
	// observers' alerts.
	VerdictsApplied uint64
	// PushesSent counts push datagrams: this node's changes sent at once,
	// and others' forwarded.
	PushesSent uint64
	// TimesRemoved and Rejoins count how often this node learnt that the
	// cluster had removed it, and rejoined as a new incarnation.
	TimesRemoved uint64
	Rejoins      uint64
	// Phi is the current suspicion level of each edge this node observes:
	// its subjects that sent it heartbeats (about K of them, not every
	// peer), by node ID.
	Phi map[string]float64
	// DatagramSizes is the histogram of the sizes, in bytes, of the
	// datagrams sent.
	DatagramSizes Histogram
	// RoundTrips is the histogram of exchange round trips, in seconds: from
	// a gossip round's Syn to the SynAck that answers it, or from its Sum to
	// the Sum that answers it (views found equal).
	RoundTrips Histogram
	// ConvictionPhi is the histogram of the phi of each peer at the moment
	// it was convicted (reported NodeDead by the failure detector).
	ConvictionPhi Histogram
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

// Stats returns a snapshot of this node's counters, each live peer's phi
// and the histograms. After Shutdown it returns them as they were at
// Shutdown.
func (sb *Scuttlebutt) Stats() Stats {
	sb.mu.Lock()
	now := time.Now()
	if sb.closed {
		now = sb.closedAt // the view as it was: phi does not rise after Shutdown
	}
	g := sb.eng.Stats(now)
	sb.mu.Unlock()
	return Stats{
		PacketsSent: g.PacketsSent, BytesSent: g.BytesSent,
		PacketsReceived: g.PacketsReceived, BytesReceived: g.BytesReceived,
		DroppedMalformed: g.DroppedMalformed, DroppedAuth: g.DroppedAuth,
		DroppedClusterMismatch: g.DroppedClusterMismatch, DroppedOversize: g.DroppedOversize,
		DroppedOutgoing: g.DroppedOutgoing, WrongClusterReplies: g.WrongClusterReplies,
		Rounds: g.Rounds, Phi: g.Phi,
		HeartbeatsSent: g.HeartbeatsSent, HeartbeatsReceived: g.HeartbeatsReceived,
		AlertsRaised: g.AlertsRaised, AlertsWithdrawn: g.AlertsWithdrawn,
		VerdictsApplied: g.VerdictsApplied, PushesSent: g.PushesSent,
		TimesRemoved: g.TimesRemoved, Rejoins: g.Rejoins,
		DatagramSizes: histogram(g.DatagramSizes), RoundTrips: histogram(g.RoundTrips),
		ConvictionPhi: histogram(g.ConvictionPhi),
	}
}

func histogram(h gossip.Histogram) Histogram {
	return Histogram{Bounds: slices.Clone(h.Bounds), Counts: slices.Clone(h.Counts), Count: h.Count, Sum: h.Sum}
}

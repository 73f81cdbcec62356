// Package prom exposes a scuttlebutt node's statistics as Prometheus metrics.
//
// It owns the mapping from (*scuttlebutt.Scuttlebutt).Stats, LiveNodes and
// DeadNodes to metric families named by Prometheus conventions. It lives in
// a package of its own so that importing the library itself never pulls in
// client_golang. Register the collector in any registry:
//
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(prom.NewCollector(sb))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Every scrape takes one fresh snapshot of the node; nothing is cached and
// no goroutine is started. Several nodes of one process can be registered
// in one registry if each collector is given distinguishing constant labels
// (WithConstLabels).
//
// Metrics (counters are cumulative since the node started):
//
//	scuttlebutt_datagrams_sent_total           counter    datagrams handed to the transport
//	scuttlebutt_sent_bytes_total               counter    bytes of those datagrams
//	scuttlebutt_datagrams_received_total       counter    datagrams read, valid or not
//	scuttlebutt_received_bytes_total           counter    bytes of those datagrams
//	scuttlebutt_datagrams_dropped_total        counter    by reason: malformed, auth, cluster_mismatch, oversize, outgoing_oversize
//	scuttlebutt_wrong_cluster_replies_total    counter    "wrong cluster" answers received
//	scuttlebutt_gossip_rounds_total            counter    gossip rounds
//	scuttlebutt_members                        gauge      peers by status: live, dead (the local node excluded)
//	scuttlebutt_peer_phi                       gauge      each live peer's phi, by peer (see WithoutPeerPhi)
//	scuttlebutt_node_info                      gauge      1, with the local node's ID and address as labels
//	scuttlebutt_datagram_size_bytes            histogram  sizes of the datagrams sent
//	scuttlebutt_exchange_round_trip_seconds    histogram  from a round's Syn to the SynAck answering it
//	scuttlebutt_conviction_phi                 histogram  phi of each peer when the failure detector convicted it
package prom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/scuttlego/scuttlebutt"
)

// Namespace is the prefix of every metric name.
const Namespace = "scuttlebutt"

// Drop reasons, the values of the reason label of
// scuttlebutt_datagrams_dropped_total.
const (
	ReasonMalformed        = "malformed"         // Stats.DroppedMalformed
	ReasonAuth             = "auth"              // Stats.DroppedAuth
	ReasonClusterMismatch  = "cluster_mismatch"  // Stats.DroppedClusterMismatch
	ReasonOversize         = "oversize"          // Stats.DroppedOversize
	ReasonOutgoingOversize = "outgoing_oversize" // Stats.DroppedOutgoing
)

// Member statuses, the values of the status label of scuttlebutt_members.
const (
	StatusLive = "live"
	StatusDead = "dead"
)

// Option configures NewCollector.
type Option func(*options)

type options struct {
	constLabels prometheus.Labels
	peerPhi     bool
}

// WithConstLabels adds constant labels to every metric of the collector,
// for example {"node": id} when several nodes share a registry.
func WithConstLabels(labels prometheus.Labels) Option {
	return func(o *options) {
		o.constLabels = prometheus.Labels{}
		for k, v := range labels {
			o.constLabels[k] = v
		}
	}
}

// WithoutPeerPhi leaves out scuttlebutt_peer_phi, the one metric whose
// series grow with the cluster (one per live peer). Leave it out on large
// clusters if that cardinality is a concern.
func WithoutPeerPhi() Option {
	return func(o *options) { o.peerPhi = false }
}

// Collector is a prometheus.Collector of one node's statistics. Create it
// with NewCollector.
type Collector struct {
	sb      *scuttlebutt.Scuttlebutt
	peerPhi bool

	sent, sentBytes, received, receivedBytes *prometheus.Desc
	dropped, wrongCluster, rounds            *prometheus.Desc
	members, phi, info                       *prometheus.Desc
	sizes, roundTrips, convictionPhi         *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a collector of sb's statistics, to be registered in
// a prometheus.Registerer. It reads sb at each scrape, also after sb was
// shut down (the counters then stay at their last values).
func NewCollector(sb *scuttlebutt.Scuttlebutt, opts ...Option) *Collector {
	o := options{peerPhi: true}
	for _, opt := range opts {
		opt(&o)
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", name), help, labels, o.constLabels)
	}
	return &Collector{
		sb:            sb,
		peerPhi:       o.peerPhi,
		sent:          d("datagrams_sent_total", "Datagrams handed to the transport."),
		sentBytes:     d("sent_bytes_total", "Bytes of the datagrams handed to the transport."),
		received:      d("datagrams_received_total", "Datagrams read from the transport, valid or not."),
		receivedBytes: d("received_bytes_total", "Bytes of the datagrams read from the transport."),
		dropped:       d("datagrams_dropped_total", "Datagrams dropped, by reason: received ones that were malformed, failed authentication, carried another cluster ID or were oversize, and built ones too large to send (outgoing_oversize, a bug if not 0).", "reason"),
		wrongCluster:  d("wrong_cluster_replies_total", "Wrong-cluster answers received: a node of another cluster is in this node's seeds, or the reverse."),
		rounds:        d("gossip_rounds_total", "Gossip rounds run."),
		members:       d("members", "Peers known to this node by status (the local node excluded); dead includes peers that left.", "status"),
		phi:           d("peer_phi", "Current phi (suspicion level) of each live peer.", "peer"),
		info:          d("node_info", "Always 1; the local node's ID and advertised gossip address as labels.", "id", "address"),
		sizes:         d("datagram_size_bytes", "Sizes of the datagrams sent, in bytes."),
		roundTrips:    d("exchange_round_trip_seconds", "Exchange round trips: from a gossip round's Syn to the SynAck that answers it."),
		convictionPhi: d("conviction_phi", "Phi of each peer at the moment the failure detector convicted it."),
	}
}

// Describe sends the descriptors of every metric the collector can emit.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.sent, c.sentBytes, c.received, c.receivedBytes, c.dropped, c.wrongCluster, c.rounds,
		c.members, c.info, c.sizes, c.roundTrips, c.convictionPhi,
	} {
		ch <- d
	}
	if c.peerPhi {
		ch <- c.phi
	}
}

// Collect takes one snapshot of the node and sends its metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.sb.Stats()
	live, dead := len(c.sb.LiveNodes()), len(c.sb.DeadNodes())
	self := c.sb.LocalNode()

	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- constMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(c.sent, s.PacketsSent)
	counter(c.sentBytes, s.BytesSent)
	counter(c.received, s.PacketsReceived)
	counter(c.receivedBytes, s.BytesReceived)
	counter(c.dropped, s.DroppedMalformed, ReasonMalformed)
	counter(c.dropped, s.DroppedAuth, ReasonAuth)
	counter(c.dropped, s.DroppedClusterMismatch, ReasonClusterMismatch)
	counter(c.dropped, s.DroppedOversize, ReasonOversize)
	counter(c.dropped, s.DroppedOutgoing, ReasonOutgoingOversize)
	counter(c.wrongCluster, s.WrongClusterReplies)
	counter(c.rounds, s.Rounds)

	ch <- constMetric(c.members, prometheus.GaugeValue, float64(live), StatusLive)
	ch <- constMetric(c.members, prometheus.GaugeValue, float64(dead), StatusDead)
	ch <- constMetric(c.info, prometheus.GaugeValue, 1, self.ID, self.GossipPublicAddress)
	if c.peerPhi {
		for id, phi := range s.Phi {
			ch <- constMetric(c.phi, prometheus.GaugeValue, phi, id)
		}
	}

	ch <- constHistogram(c.sizes, s.DatagramSizes)
	ch <- constHistogram(c.roundTrips, s.RoundTrips)
	ch <- constHistogram(c.convictionPhi, s.ConvictionPhi)
}

func constMetric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}

// constHistogram turns a library histogram, already cumulative, into a
// Prometheus one.
func constHistogram(d *prometheus.Desc, h scuttlebutt.Histogram) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Bounds))
	for i, b := range h.Bounds {
		if i < len(h.Counts) {
			buckets[b] = h.Counts[i]
		}
	}
	m, err := prometheus.NewConstHistogram(d, h.Count, h.Sum, buckets)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}

package prom_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
	"github.com/scuttlego/scuttlebutt/prom"
)

// startNode starts a node on an in-memory network with fast rounds and a
// detector that convicts a silent peer in well under a second.
func startNode(t *testing.T, net *scuttlebutt.MemNetwork, id string) *scuttlebutt.Scuttlebutt {
	t.Helper()
	tr, err := net.NewTransport(id + ":1")
	require.NoError(t, err)
	cfg := scuttlebutt.DefaultLANConfig()
	cfg.Node.ID = id
	cfg.Transport = tr
	cfg.GossipInterval = 20 * time.Millisecond
	cfg.FailureDetectorConfig.AcceptableHeartbeatPause = 100 * time.Millisecond
	cfg.FailureDetectorConfig.MinStdDeviation = 20 * time.Millisecond
	cfg.FailureDetectorConfig.FirstHeartbeatEstimate = 20 * time.Millisecond
	sb, err := scuttlebutt.NewScuttlebutt(cfg, map[string]string{"role": id})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Shutdown() })
	return sb
}

// frozenCluster returns node a of a three-node cluster in which c was
// convicted and b is live, shut down so that its statistics no longer move.
func frozenCluster(t *testing.T) *scuttlebutt.Scuttlebutt {
	t.Helper()
	net := scuttlebutt.NewMemNetwork(1)
	a, b, c := startNode(t, net, "a"), startNode(t, net, "b"), startNode(t, net, "c")
	require.NoError(t, b.Join([]string{"a:1"}))
	require.NoError(t, c.Join([]string{"a:1"}))
	require.Eventually(t, func() bool { return len(a.LiveNodes()) == 2 }, 10*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool { return a.Stats().RoundTrips.Count > 0 }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, c.Shutdown())
	require.Eventually(t, func() bool { return len(a.DeadNodes()) == 1 }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, a.Shutdown())
	return a
}

func TestCollectorLintClean(t *testing.T) {
	a := frozenCluster(t)
	problems, err := testutil.CollectAndLint(prom.NewCollector(a))
	require.NoError(t, err)
	require.Empty(t, problems)
}

func TestCollectorValues(t *testing.T) {
	a := frozenCluster(t)
	s := a.Stats()
	require.NotZero(t, s.ConvictionPhi.Count, "c was convicted")

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(prom.NewCollector(a))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		got[mf.GetName()] = mf
	}
	value := func(name string, labels ...string) float64 {
		t.Helper()
		mf := got[name]
		require.NotNil(t, mf, "metric %s missing", name)
	metrics:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				if labelValue(m, labels[i]) != labels[i+1] {
					continue metrics
				}
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue()
			}
		}
		t.Fatalf("%s%v not found", name, labels)
		return 0
	}

	require.Equal(t, float64(s.PacketsSent), value("scuttlebutt_datagrams_sent_total"))
	require.Equal(t, float64(s.BytesSent), value("scuttlebutt_sent_bytes_total"))
	require.Equal(t, float64(s.PacketsReceived), value("scuttlebutt_datagrams_received_total"))
	require.Equal(t, float64(s.BytesReceived), value("scuttlebutt_received_bytes_total"))
	require.Equal(t, float64(s.DroppedMalformed), value("scuttlebutt_datagrams_dropped_total", "reason", "malformed"))
	require.Equal(t, float64(s.DroppedAuth), value("scuttlebutt_datagrams_dropped_total", "reason", "auth"))
	require.Equal(t, float64(s.DroppedClusterMismatch), value("scuttlebutt_datagrams_dropped_total", "reason", "cluster_mismatch"))
	require.Equal(t, float64(s.DroppedOversize), value("scuttlebutt_datagrams_dropped_total", "reason", "oversize"))
	require.Equal(t, float64(s.DroppedOutgoing), value("scuttlebutt_datagrams_dropped_total", "reason", "outgoing_oversize"))
	require.Equal(t, float64(s.WrongClusterReplies), value("scuttlebutt_wrong_cluster_replies_total"))
	require.Equal(t, float64(s.Rounds), value("scuttlebutt_gossip_rounds_total"))
	require.NotZero(t, s.Rounds)
	require.Equal(t, 1.0, value("scuttlebutt_members", "status", "live"))
	require.Equal(t, 1.0, value("scuttlebutt_members", "status", "dead"))
	require.Equal(t, 1.0, value("scuttlebutt_node_info", "id", "a", "address", "a:1"))
	// Phi keeps rising while b is silent: the scrape's value lies between
	// a snapshot taken before and one taken after.
	phi := value("scuttlebutt_peer_phi", "peer", "b")
	require.GreaterOrEqual(t, phi, s.Phi["b"])
	require.LessOrEqual(t, phi, a.Stats().Phi["b"])
	require.Len(t, got["scuttlebutt_peer_phi"].GetMetric(), 1, "only live peers have a phi")

	for name, h := range map[string]scuttlebutt.Histogram{
		"scuttlebutt_datagram_size_bytes":         s.DatagramSizes,
		"scuttlebutt_exchange_round_trip_seconds": s.RoundTrips,
		"scuttlebutt_conviction_phi":              s.ConvictionPhi,
	} {
		mf := got[name]
		require.NotNil(t, mf, name)
		require.Equal(t, dto.MetricType_HISTOGRAM, mf.GetType(), name)
		ph := mf.GetMetric()[0].GetHistogram()
		require.Equal(t, h.Count, ph.GetSampleCount(), name)
		require.Equal(t, h.Sum, ph.GetSampleSum(), name)
		require.Len(t, ph.GetBucket(), len(h.Bounds), name)
		for i, b := range ph.GetBucket() {
			require.Equal(t, h.Bounds[i], b.GetUpperBound(), name)
			require.Equal(t, h.Counts[i], b.GetCumulativeCount(), name)
		}
		require.NotZero(t, h.Count, name)
	}
}

func TestCollectorOptions(t *testing.T) {
	a := frozenCluster(t)
	c := prom.NewCollector(a, prom.WithConstLabels(prometheus.Labels{"node": "a"}), prom.WithoutPeerPhi())
	require.NotContains(t, names(t, c), "scuttlebutt_peer_phi")
	require.Contains(t, names(t, c), "scuttlebutt_members")
	exp := `
# HELP scuttlebutt_gossip_rounds_total Gossip rounds run.
# TYPE scuttlebutt_gossip_rounds_total counter
scuttlebutt_gossip_rounds_total{node="a"} ` + fmt.Sprint(a.Stats().Rounds) + "\n"
	require.NoError(t, testutil.CollectAndCompare(c, strings.NewReader(exp), "scuttlebutt_gossip_rounds_total"))

	// Two nodes in one registry, told apart by a constant label.
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	reg.MustRegister(prom.NewCollector(a, prom.WithConstLabels(prometheus.Labels{"node": "a2"})))
	_, err := reg.Gather()
	require.NoError(t, err)
}

func names(t *testing.T, c prometheus.Collector) []string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var out []string
	for _, mf := range mfs {
		out = append(out, mf.GetName())
	}
	return out
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

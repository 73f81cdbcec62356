package scuttlebutt_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

// fastConfig is a LAN config with short intervals for tests.
func fastConfig(id string) *scuttlebutt.Config {
	c := scuttlebutt.DefaultLANConfig()
	c.Node.ID = id
	c.ListenAddr = "127.0.0.1:0"
	c.GossipInterval = 50 * time.Millisecond
	fd := scuttlebutt.FailureDetectorDefaultConfig()
	fd.AcceptableHeartbeatPause = 600 * time.Millisecond
	fd.MinStdDeviation = 50 * time.Millisecond
	fd.FirstHeartbeatEstimate = 50 * time.Millisecond
	c.FailureDetectorConfig = fd
	return c
}

// recorder collects events per node ID.
type recorder struct {
	mu     sync.Mutex
	events []scuttlebutt.NodeEvent
}

func (r *recorder) add(t scuttlebutt.NodeEventType, n scuttlebutt.Node) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, scuttlebutt.NodeEvent{Event: t, Node: n})
}
func (r *recorder) NotifyLive(n scuttlebutt.Node)   { r.add(scuttlebutt.NodeLive, n) }
func (r *recorder) NotifyDead(n scuttlebutt.Node)   { r.add(scuttlebutt.NodeDead, n) }
func (r *recorder) NotifyUpdate(n scuttlebutt.Node) { r.add(scuttlebutt.NodeUpdate, n) }

func (r *recorder) of(id string) []scuttlebutt.NodeEventType {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ts []scuttlebutt.NodeEventType
	for _, e := range r.events {
		if e.Node.ID == id {
			ts = append(ts, e.Event)
		}
	}
	return ts
}

func ids(ns []scuttlebutt.Node) []string {
	var s []string
	for _, n := range ns {
		s = append(s, n.ID)
	}
	return s
}

// memCluster starts n nodes on an in-memory network, all joined to the first.
func memCluster(t *testing.T, net *scuttlebutt.MemNetwork, n int, recs []*recorder) []*scuttlebutt.Scuttlebutt {
	t.Helper()
	var sbs []*scuttlebutt.Scuttlebutt
	for i := range n {
		id := fmt.Sprintf("node-%02d", i)
		tr, err := net.NewTransport(id + ":7946")
		require.NoError(t, err)
		cfg := fastConfig(id)
		cfg.Transport = tr
		if recs != nil {
			cfg.Events = recs[i]
		}
		sb, err := scuttlebutt.NewScuttlebutt(cfg, map[string]string{"index": fmt.Sprint(i)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = sb.Shutdown() })
		if i > 0 {
			require.NoError(t, sb.Join([]string{sbs[0].LocalNode().GossipPublicAddress}))
		}
		sbs = append(sbs, sb)
	}
	return sbs
}

func allSeeAll(sbs []*scuttlebutt.Scuttlebutt) func() bool {
	return func() bool {
		for _, sb := range sbs {
			if len(sb.LiveNodes()) != len(sbs)-1 {
				return false
			}
		}
		return true
	}
}

func TestMemClusterConvergesAndPropagates(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(1)
	recs := make([]*recorder, 12)
	for i := range recs {
		recs[i] = &recorder{}
	}
	sbs := memCluster(t, net, 12, recs)
	require.Eventually(t, allSeeAll(sbs), 10*time.Second, 10*time.Millisecond)

	for _, sb := range sbs {
		live := sb.LiveNodes()
		require.True(t, slices.IsSortedFunc(live, func(a, b scuttlebutt.Node) int { return cmpString(a.ID, b.ID) }))
		require.NotContains(t, ids(live), sb.LocalNode().ID, "LiveNodes lists the local node")
	}

	require.NoError(t, sbs[5].Set("color", "blue"))
	require.Eventually(t, func() bool {
		for _, sb := range sbs {
			if v, ok := sb.Get("node-05", "color"); !ok || v != "blue" {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)

	st, ok := sbs[0].NodeState("node-05")
	require.True(t, ok)
	require.Equal(t, map[string]string{"index": "5", "color": "blue"}, st)
	st["color"] = "mutated"
	v, _ := sbs[0].Get("node-05", "color")
	require.Equal(t, "blue", v, "NodeState must return a copy")

	// Events: Live first for every peer, then updates; never Dead.
	require.Eventually(t, func() bool {
		evs := recs[0].of("node-05")
		return len(evs) > 0 && evs[len(evs)-1] == scuttlebutt.NodeUpdate
	}, 10*time.Second, 10*time.Millisecond)
	for i, r := range recs {
		for j := range sbs {
			if i == j {
				continue
			}
			evs := r.of(fmt.Sprintf("node-%02d", j))
			require.NotEmpty(t, evs)
			require.Equal(t, scuttlebutt.NodeLive, evs[0])
			require.NotContains(t, evs, scuttlebutt.NodeDead)
		}
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestShutdownNodeIsReportedDead(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(2)
	recs := []*recorder{{}, {}, {}}
	sbs := memCluster(t, net, 3, recs)
	require.Eventually(t, allSeeAll(sbs), 10*time.Second, 10*time.Millisecond)
	require.NoError(t, sbs[2].Shutdown())
	require.Eventually(t, func() bool {
		return slices.Contains(ids(sbs[0].DeadNodes()), "node-02") && slices.Contains(ids(sbs[1].DeadNodes()), "node-02")
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"node-01"}, ids(sbs[0].LiveNodes()))
	require.Eventually(t, func() bool {
		evs := recs[0].of("node-02")
		return len(evs) > 0 && evs[len(evs)-1] == scuttlebutt.NodeDead
	}, 5*time.Second, 10*time.Millisecond)
}

func TestShutdownSemantics(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(3)
	tr, err := net.NewTransport("a:1")
	require.NoError(t, err)
	cfg := fastConfig("a")
	cfg.Transport = tr
	sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
	require.NoError(t, err)
	require.NoError(t, sb.Set("k", "v"))
	require.NoError(t, sb.Shutdown())
	require.NoError(t, sb.Shutdown(), "a second Shutdown returns nil")
	require.ErrorIs(t, sb.Set("k", "w"), scuttlebutt.ErrShutdown)
	require.ErrorIs(t, sb.Join([]string{"b:1"}), scuttlebutt.ErrShutdown)
	v, ok := sb.Get("a", "k")
	require.True(t, ok, "reads still work after Shutdown")
	require.Equal(t, "v", v)
	// The transport is closed: its address can be bound again.
	_, err = net.NewTransport("a:1")
	require.NoError(t, err)
}

func TestNewScuttlebuttValidates(t *testing.T) {
	_, err := scuttlebutt.NewScuttlebutt(nil, nil)
	require.ErrorIs(t, err, scuttlebutt.ErrInvalidConfig)

	cases := map[string]func(c *scuttlebutt.Config){
		"empty ID":            func(c *scuttlebutt.Config) { c.Node.ID = "" },
		"zero interval":       func(c *scuttlebutt.Config) { c.GossipInterval = 0 },
		"negative interval":   func(c *scuttlebutt.Config) { c.GossipInterval = -time.Second },
		"bad key length":      func(c *scuttlebutt.Config) { c.SecretKey = []byte("short") },
		"negative fanout":     func(c *scuttlebutt.Config) { c.GossipNodes = -1 },
		"tiny packets":        func(c *scuttlebutt.Config) { c.MaxPacketSize = 100 },
		"huge packets":        func(c *scuttlebutt.Config) { c.MaxPacketSize = 70000 },
		"negative phi":        func(c *scuttlebutt.Config) { c.FailureDetectorConfig.PhiThreshold = -1 },
		"negative pause":      func(c *scuttlebutt.Config) { c.FailureDetectorConfig.AcceptableHeartbeatPause = -1 },
		"negative grace":      func(c *scuttlebutt.Config) { c.FailureDetectorConfig.DeadNodeGracePeriod = -1 },
		"listen without port": func(c *scuttlebutt.Config) { c.ListenAddr = "foo" },
		"listen port range":   func(c *scuttlebutt.Config) { c.ListenAddr = "127.0.0.1:99999" },
		"listen bad host":     func(c *scuttlebutt.Config) { c.ListenAddr = "no host:0" },
		"public without port": func(c *scuttlebutt.Config) { c.Node.GossipPublicAddress = "10.0.0.1" },
		"public port 0":       func(c *scuttlebutt.Config) { c.Node.GossipPublicAddress = "10.0.0.1:0" },
		"public without host": func(c *scuttlebutt.Config) { c.Node.GossipPublicAddress = ":9111" },
		"public bad host":     func(c *scuttlebutt.Config) { c.Node.GossipPublicAddress = "a/b:9111" },
		"nil channel":         func(c *scuttlebutt.Config) { c.Events = &scuttlebutt.ChannelEvent{} },
		"nil ChannelEvent":    func(c *scuttlebutt.Config) { c.Events = (*scuttlebutt.ChannelEvent)(nil) },
		"long cluster ID":     func(c *scuttlebutt.Config) { c.ClusterID = strings.Repeat("c", scuttlebutt.MaxIDLength+1) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			c := fastConfig("x")
			mutate(c)
			before := *c
			_, err := scuttlebutt.NewScuttlebutt(c, nil)
			require.ErrorIs(t, err, scuttlebutt.ErrInvalidConfig)
			require.Equal(t, before.GossipInterval, c.GossipInterval, "config modified")
		})
	}

	// A nil detector config means defaults, and the caller's struct is untouched.
	net := scuttlebutt.NewMemNetwork(4)
	tr, _ := net.NewTransport("x:1")
	c := fastConfig("x")
	c.FailureDetectorConfig = nil
	c.MaxPacketSize = 0
	c.Transport = tr
	sb, err := scuttlebutt.NewScuttlebutt(c, nil)
	require.NoError(t, err)
	require.Nil(t, c.FailureDetectorConfig)
	require.Zero(t, c.MaxPacketSize)
	require.NoError(t, sb.Shutdown())

	// Zero fields mean defaults: a partly filled detector config and no fanout.
	tr3, _ := net.NewTransport("z:1")
	c3 := fastConfig("z")
	c3.Transport = tr3
	c3.GossipNodes = 0
	c3.FailureDetectorConfig = &scuttlebutt.FailureDetectorConfig{PhiThreshold: 10}
	sb3, err := scuttlebutt.NewScuttlebutt(c3, nil)
	require.NoError(t, err)
	require.NoError(t, sb3.Shutdown())

	// Metadata too large for a datagram is refused.
	tr2, _ := net.NewTransport("y:1")
	c2 := fastConfig("y")
	c2.Transport = tr2
	_, err = scuttlebutt.NewScuttlebutt(c2, map[string]string{"big": string(make([]byte, 2000))})
	require.ErrorIs(t, err, scuttlebutt.ErrTooLarge)
}

func TestSetValidates(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(5)
	tr, _ := net.NewTransport("a:1")
	c := fastConfig("a")
	c.Transport = tr
	sb, err := scuttlebutt.NewScuttlebutt(c, nil)
	require.NoError(t, err)
	defer sb.Shutdown()
	require.ErrorIs(t, sb.Set("", "v"), scuttlebutt.ErrInvalidKey)
	require.ErrorIs(t, sb.Set("k", string(make([]byte, 1400))), scuttlebutt.ErrTooLarge)
	require.NoError(t, sb.Set("k", string(make([]byte, 1000))))
}

func TestJoinUnreachableSeedTimesOutThenHealsInBackground(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(6)
	tr, _ := net.NewTransport("a:1")
	c := fastConfig("a")
	c.Transport = tr
	a, err := scuttlebutt.NewScuttlebutt(c, nil)
	require.NoError(t, err)
	defer a.Shutdown()
	err = a.Join([]string{"seed:1"})
	require.ErrorIs(t, err, scuttlebutt.ErrJoinTimeout)

	// The seed starts later: a finds it on its own.
	tr2, _ := net.NewTransport("seed:1")
	c2 := fastConfig("seed")
	c2.Transport = tr2
	seed, err := scuttlebutt.NewScuttlebutt(c2, nil)
	require.NoError(t, err)
	defer seed.Shutdown()
	require.Eventually(t, func() bool {
		return slices.Contains(ids(a.LiveNodes()), "seed") && slices.Contains(ids(seed.LiveNodes()), "a")
	}, 10*time.Second, 10*time.Millisecond)
}

func TestChannelEventImplementsNotifyEvent(t *testing.T) {
	var _ scuttlebutt.NotifyEvent = &scuttlebutt.ChannelEvent{}
	ch := make(chan scuttlebutt.NodeEvent, 3)
	ce := &scuttlebutt.ChannelEvent{Ch: ch}
	n := scuttlebutt.Node{ID: "a"}
	ce.NotifyLive(n)
	ce.NotifyDead(n)
	ce.NotifyUpdate(n)
	require.Equal(t, scuttlebutt.NodeEvent{Event: scuttlebutt.NodeLive, Node: n}, <-ch)
	require.Equal(t, scuttlebutt.NodeEvent{Event: scuttlebutt.NodeDead, Node: n}, <-ch)
	require.Equal(t, scuttlebutt.NodeEvent{Event: scuttlebutt.NodeUpdate, Node: n}, <-ch)
	require.Equal(t, scuttlebutt.NodeEventType(0), scuttlebutt.NodeLive)
	require.Equal(t, scuttlebutt.NodeEventType(2), scuttlebutt.NodeUpdate)
}

func TestDefaultConfigs(t *testing.T) {
	lan := scuttlebutt.DefaultLANConfig()
	require.Equal(t, "default", lan.ClusterID)
	require.Equal(t, 3, lan.GossipNodes)
	require.Equal(t, time.Second, lan.GossipInterval)
	require.Equal(t, "0.0.0.0:9111", lan.ListenAddr)
	require.True(t, lan.EnableCompression)
	require.NotEmpty(t, lan.Node.ID)
	require.NotEqual(t, lan.Node.ID, scuttlebutt.DefaultLANConfig().Node.ID, "IDs must be unique")
	wan := scuttlebutt.DefaultWANConfig()
	require.Equal(t, 4, wan.GossipNodes)
	require.Equal(t, 3*time.Second, wan.GossipInterval)
	require.Equal(t, 12.0, wan.FailureDetectorConfig.PhiThreshold)
	require.Equal(t, 10*time.Second, wan.FailureDetectorConfig.AcceptableHeartbeatPause)
	fd := scuttlebutt.FailureDetectorDefaultConfig()
	require.Equal(t, scuttlebutt.FailureDetectorConfig{
		PhiThreshold: 8, SamplingWindowSize: 1000, MinStdDeviation: 100 * time.Millisecond,
		AcceptableHeartbeatPause: 3 * time.Second, FirstHeartbeatEstimate: time.Second, DeadNodeGracePeriod: time.Hour,
	}, *fd)
}

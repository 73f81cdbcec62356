package scuttlebutt_test

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

// udpNode starts a node on a real loopback UDP socket, port chosen by the OS.
func udpNode(t *testing.T, id string, meta map[string]string, rec *recorder) *scuttlebutt.Scuttlebutt {
	t.Helper()
	cfg := fastConfig(id)
	if rec != nil {
		cfg.Events = rec
	}
	sb, err := scuttlebutt.NewScuttlebutt(cfg, meta)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Shutdown() })
	return sb
}

func TestUDPClusterLifecycle(t *testing.T) {
	rec := &recorder{}
	seed := udpNode(t, "u0", map[string]string{"role": "seed"}, rec)
	addr := seed.LocalNode().GossipPublicAddress
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1", host)
	require.NotEqual(t, "0", port, "LocalNode must report the chosen port")

	sbs := []*scuttlebutt.Scuttlebutt{seed}
	for i := 1; i < 4; i++ {
		sb := udpNode(t, fmt.Sprintf("u%d", i), map[string]string{"old": "yes"}, nil)
		require.NoError(t, sb.Join([]string{addr}))
		sbs = append(sbs, sb)
	}
	require.Eventually(t, allSeeAll(sbs), 10*time.Second, 10*time.Millisecond)

	// Propagation.
	require.NoError(t, sbs[1].Set("greeting", "hello"))
	require.Eventually(t, func() bool {
		for _, sb := range sbs {
			if v, _ := sb.Get("u1", "greeting"); v != "hello" {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)

	// A node shut down is reported dead.
	require.NoError(t, sbs[3].Shutdown())
	require.Eventually(t, func() bool {
		for _, sb := range sbs[:3] {
			if !slices.Contains(ids(sb.DeadNodes()), "u3") {
				return false
			}
		}
		return true
	}, 15*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool {
		evs := rec.of("u3")
		return len(evs) > 0 && evs[len(evs)-1] == scuttlebutt.NodeDead
	}, 5*time.Second, 10*time.Millisecond)

	// Restarted with the same ID (and a new port): live again, new values only.
	re := udpNode(t, "u3", map[string]string{"new": "yes"}, nil)
	require.NoError(t, re.Join([]string{addr}))
	require.Eventually(t, func() bool {
		for _, sb := range sbs[:3] {
			if !slices.Contains(ids(sb.LiveNodes()), "u3") {
				return false
			}
			st, _ := sb.NodeState("u3")
			if st["new"] != "yes" || st["old"] != "" {
				return false
			}
		}
		return true
	}, 15*time.Second, 10*time.Millisecond)
	for _, sb := range sbs[:3] {
		st, _ := sb.NodeState("u3")
		require.Equal(t, map[string]string{"new": "yes"}, st)
		require.NotContains(t, ids(sb.DeadNodes()), "u3")
	}
	require.Eventually(t, func() bool {
		evs := rec.of("u3")
		i := slices.Index(evs, scuttlebutt.NodeDead)
		return i >= 0 && slices.Contains(evs[i:], scuttlebutt.NodeLive)
	}, 5*time.Second, 10*time.Millisecond)
}

func TestUDPJoinOnlySelfReturnsAtOnce(t *testing.T) {
	a := udpNode(t, "self", nil, nil)
	require.NoError(t, a.Join([]string{a.LocalNode().GossipPublicAddress}))
	require.NoError(t, a.Join(nil))
}

func TestUDPJoinByHostname(t *testing.T) {
	a := udpNode(t, "ha", nil, nil)
	b := udpNode(t, "hb", nil, nil)
	_, port, _ := net.SplitHostPort(a.LocalNode().GossipPublicAddress)
	require.NoError(t, b.Join([]string{"localhost:" + port}))
	require.Eventually(t, func() bool {
		return len(a.LiveNodes()) == 1 && len(b.LiveNodes()) == 1
	}, 10*time.Second, 10*time.Millisecond)
}

func TestUDPGarbageDoesNotStopGossip(t *testing.T) {
	a := udpNode(t, "ga", nil, nil)
	b := udpNode(t, "gb", nil, nil)
	require.NoError(t, b.Join([]string{a.LocalNode().GossipPublicAddress}))
	conn, err := net.Dial("udp", a.LocalNode().GossipPublicAddress)
	require.NoError(t, err)
	defer conn.Close()
	for _, p := range [][]byte{{}, {0xB5}, {0xB5, 1, 1, 0, 200}, []byte(strings.Repeat("\xff", 3000)), {0xB5, 1, 9, 0, 0}} {
		_, _ = conn.Write(p)
	}
	require.NoError(t, a.Set("still", "alive"))
	require.Eventually(t, func() bool {
		v, _ := b.Get("ga", "still")
		return v == "alive"
	}, 10*time.Second, 10*time.Millisecond)
	s := a.Stats()
	require.Positive(t, s.DroppedMalformed+s.DroppedOversize)
}

package scuttlebutt_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

// A node's own writes reach its Subscribe callbacks at once, not at the
// next gossip round: with an hour between rounds, the callbacks run within
// the test's patience.
func TestLocalWritesFireSubscribePromptly(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(61)
	tr, err := net.NewTransport("a:1")
	require.NoError(t, err)
	cfg := fastConfig("a")
	cfg.Transport = tr
	cfg.GossipInterval = time.Hour
	sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
	require.NoError(t, err)
	defer sb.Shutdown()
	var mu sync.Mutex
	var got []scuttlebutt.KeyChange
	defer sb.Subscribe("", func(c scuttlebutt.KeyChange) {
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
	})()
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	require.NoError(t, sb.Set("k", "v"))
	require.Eventually(t, func() bool { return count() == 1 }, 2*time.Second, time.Millisecond)
	require.NoError(t, sb.SetWithTTL("lease", "x", time.Minute))
	require.NoError(t, sb.Delete("k"))
	require.Eventually(t, func() bool { return count() == 3 }, 2*time.Second, time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	me := sb.LocalNode()
	require.Equal(t, []scuttlebutt.KeyChange{
		{Node: me, Key: "k", Value: "v"}, {Node: me, Key: "lease", Value: "x"}, {Node: me, Key: "k", Deleted: true},
	}, got)
}

package scuttlebutt_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

// udpTrio starts three loopback UDP nodes joined to the first and waits until
// they all see each other.
func udpTrio(t *testing.T, recs ...*recorder) []*scuttlebutt.Scuttlebutt {
	t.Helper()
	var sbs []*scuttlebutt.Scuttlebutt
	for i, id := range []string{"l0", "l1", "l2"} {
		var rec *recorder
		if i < len(recs) {
			rec = recs[i]
		}
		sb := udpNode(t, id, nil, rec)
		if i > 0 {
			require.NoError(t, sb.Join([]string{sbs[0].LocalNode().GossipPublicAddress}))
		}
		sbs = append(sbs, sb)
	}
	require.Eventually(t, allSeeAll(sbs), 10*time.Second, 10*time.Millisecond)
	return sbs
}

func everyoneSees(sbs []*scuttlebutt.Scuttlebutt, owner, key, want string, present bool) func() bool {
	return func() bool {
		for _, sb := range sbs {
			v, ok := sb.Get(owner, key)
			if ok != present || v != want {
				return false
			}
		}
		return true
	}
}

func TestUDPDelete(t *testing.T) {
	sbs := udpTrio(t)
	require.NoError(t, sbs[0].Set("doomed", "x"))
	require.Eventually(t, everyoneSees(sbs, "l0", "doomed", "x", true), 10*time.Second, 10*time.Millisecond)
	require.NoError(t, sbs[0].Delete("doomed"))
	require.Eventually(t, everyoneSees(sbs, "l0", "doomed", "", false), 10*time.Second, 10*time.Millisecond)
	st, _ := sbs[2].NodeState("l0")
	require.NotContains(t, st, "doomed")
	require.NoError(t, sbs[0].Delete("never-set"), "deleting an absent key is a no-op")
	require.ErrorIs(t, sbs[0].Delete(""), scuttlebutt.ErrInvalidKey)
}

func TestUDPSetWithTTL(t *testing.T) {
	sbs := udpTrio(t)
	require.ErrorIs(t, sbs[1].SetWithTTL("k", "v", 0), scuttlebutt.ErrInvalidTTL)
	require.NoError(t, sbs[1].SetWithTTL("lease", "mine", 400*time.Millisecond))
	require.Eventually(t, everyoneSees(sbs, "l1", "lease", "mine", true), 10*time.Second, 5*time.Millisecond)
	require.Eventually(t, everyoneSees(sbs, "l1", "lease", "", false), 10*time.Second, 10*time.Millisecond)
}

func TestUDPLeave(t *testing.T) {
	// The detector is made unable to convict anyone within the test (an
	// acceptable pause of an hour): a NodeDead can only come from the leave.
	recs := []*recorder{{}, {}, {}}
	var sbs []*scuttlebutt.Scuttlebutt
	for i, id := range []string{"l0", "l1", "l2"} {
		cfg := fastConfig(id)
		cfg.FailureDetectorConfig.AcceptableHeartbeatPause = time.Hour
		cfg.Events = recs[i]
		sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = sb.Shutdown() })
		if i > 0 {
			require.NoError(t, sb.Join([]string{sbs[0].LocalNode().GossipPublicAddress}))
		}
		sbs = append(sbs, sb)
	}
	require.Eventually(t, allSeeAll(sbs), 10*time.Second, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, sbs[2].Leave(ctx))
	require.ErrorIs(t, sbs[2].Set("k", "v"), scuttlebutt.ErrShutdown, "Leave shuts the node down")
	require.Eventually(t, func() bool {
		return slices.Contains(ids(sbs[0].DeadNodes()), "l2") && slices.Contains(ids(sbs[1].DeadNodes()), "l2")
	}, 10*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool {
		evs := recs[0].of("l2")
		return len(evs) > 0 && evs[len(evs)-1] == scuttlebutt.NodeDead
	}, 5*time.Second, 5*time.Millisecond)

	// The same ID may start again and is live again.
	back := udpNode(t, "l2", map[string]string{"back": "1"}, nil)
	require.NoError(t, back.Join([]string{sbs[0].LocalNode().GossipPublicAddress}))
	require.Eventually(t, func() bool {
		return slices.Contains(ids(sbs[0].LiveNodes()), "l2") && slices.Contains(ids(sbs[1].LiveNodes()), "l2")
	}, 10*time.Second, 10*time.Millisecond)
}

func TestUDPSubscribe(t *testing.T) {
	sbs := udpTrio(t)
	var mu sync.Mutex
	var got []scuttlebutt.KeyChange
	unsub := sbs[1].Subscribe("svc/", func(c scuttlebutt.KeyChange) {
		// A callback may call read methods: it runs outside the lock.
		_ = sbs[1].LiveNodes()
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
	})
	var mine []scuttlebutt.KeyChange
	var mineMu sync.Mutex
	defer sbs[0].Subscribe("", func(c scuttlebutt.KeyChange) {
		mineMu.Lock()
		mine = append(mine, c)
		mineMu.Unlock()
	})()

	require.NoError(t, sbs[0].Set("svc/a", "1"))
	require.NoError(t, sbs[0].Set("other", "x"))
	require.NoError(t, sbs[0].Set("svc/a", "2"))
	require.NoError(t, sbs[0].Delete("svc/a"))
	require.NoError(t, sbs[2].SetWithTTL("svc/t", "ttl", 300*time.Millisecond))
	key := func(c scuttlebutt.KeyChange) string {
		if c.Deleted {
			return c.Node.ID + ":" + c.Key + " deleted"
		}
		return c.Node.ID + ":" + c.Key + "=" + c.Value
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0 && slices.ContainsFunc(got, func(c scuttlebutt.KeyChange) bool { return key(c) == "l2:svc/t deleted" }) &&
			slices.ContainsFunc(got, func(c scuttlebutt.KeyChange) bool { return key(c) == "l0:svc/a deleted" })
	}, 10*time.Second, 10*time.Millisecond)
	mu.Lock()
	var fromL0 []string
	for _, c := range got {
		require.NotEqual(t, "other", c.Key, "prefix filter")
		if c.Node.ID == "l0" {
			fromL0 = append(fromL0, key(c))
		}
	}
	mu.Unlock()
	// Remote changes arrive in version order; intermediate versions may be
	// skipped when a later one arrives first, never reordered.
	require.Equal(t, "l0:svc/a deleted", fromL0[len(fromL0)-1])
	require.NotContains(t, fromL0[:len(fromL0)-1], "l0:svc/a deleted")

	// Local changes are reported too, all of them, in order.
	localChanges := func() []string {
		mineMu.Lock()
		defer mineMu.Unlock()
		var local []string
		for _, c := range mine {
			if c.Node.ID == "l0" {
				local = append(local, key(c))
			}
		}
		return local
	}
	require.Eventually(t, func() bool { return len(localChanges()) >= 4 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"l0:svc/a=1", "l0:other=x", "l0:svc/a=2", "l0:svc/a deleted"}, localChanges())

	unsub()
	mu.Lock()
	n := len(got)
	mu.Unlock()
	require.NoError(t, sbs[0].Set("svc/after", "1"))
	require.Eventually(t, everyoneSees(sbs, "l0", "svc/after", "1", true), 10*time.Second, 10*time.Millisecond)
	mu.Lock()
	require.Equal(t, n, len(got), "called after unsubscribe")
	mu.Unlock()
}

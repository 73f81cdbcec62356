package scuttlebutt_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

// checkOrder checks, over everything rec was told in order, that each
// node's NodeLive comes before any NodeUpdate or key change of that node,
// that updates and key changes come only while it is live, with the
// generation of its latest NodeLive, and that a restart's NodeLive comes
// before its new keys. It returns the number of key changes checked.
func checkOrder(t *testing.T, rec *eventRecorder) int {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	type state struct {
		live bool
		gen  uint64
	}
	nodes := map[string]*state{}
	changes := 0
	for i, x := range rec.log {
		if x.change != nil {
			id := x.change.Node.ID
			st := nodes[id]
			require.True(t, st != nil && st.live, "#%d: key change %s of %s before its NodeLive, or after its NodeDead", i, x.change.Key, id)
			changes++
			continue
		}
		ev := x.ev
		st := nodes[ev.Node.ID]
		if st == nil {
			st = &state{}
			nodes[ev.Node.ID] = st
		}
		switch ev.Event {
		case scuttlebutt.NodeLive:
			require.False(t, st.live && st.gen == ev.Generation, "#%d: %v twice", i, ev)
			st.live, st.gen = true, ev.Generation
		case scuttlebutt.NodeDead:
			require.True(t, st.live, "#%d: %v while not live", i, ev)
			require.Equal(t, st.gen, ev.Generation, "#%d: %v", i, ev)
			st.live = false
		case scuttlebutt.NodeUpdate:
			require.True(t, st.gen != 0, "#%d: %v before any NodeLive", i, ev)
			require.Equal(t, st.gen, ev.Generation, "#%d: %v", i, ev)
		}
	}
	return changes
}

// For each node, NodeLive is delivered before any NodeUpdate or key change
// of that incarnation, and a restart delivers its NodeLive (reason
// restarted) before its new keys: through joins, restarts while live and
// after a death, and writes.
func TestEventOrderingGuarantee(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(51)
	rec := &eventRecorder{}
	o, _ := memNode(t, net, "o", rec, nil)
	defer o.Subscribe("", rec.keyChange)()
	seeds := []string{addrOf(o)}
	w, _ := memNode(t, net, "w", nil, map[string]string{"incarnation": "0", "stable": "yes"})
	require.NoError(t, w.Join(seeds))
	p, _ := memNode(t, net, "p", nil, map[string]string{"role": "writer"})
	require.NoError(t, p.Join(seeds))
	require.Eventually(t, func() bool { return len(o.LiveNodes()) == 2 }, 10*time.Second, 5*time.Millisecond)
	for i := range 20 {
		require.NoError(t, p.Set(fmt.Sprintf("k%02d", i), fmt.Sprint(i))) // distinct keys: none coalesced
	}
	for i := 1; i <= 4; i++ {
		require.NoError(t, w.Shutdown())
		if i%2 == 0 { // dead before it restarts
			require.Eventually(t, func() bool {
				s, _ := statusOf(o, "w")
				return s == scuttlebutt.MemberDead
			}, 10*time.Second, 5*time.Millisecond)
		}
		w, _ = memNode(t, net, "w", nil, map[string]string{"incarnation": fmt.Sprint(i)})
		require.NoError(t, w.Join(seeds))
		require.NoError(t, w.Set("after", fmt.Sprint(i)))
		gen := generationOf(w)
		require.Eventually(t, func() bool {
			v, _ := o.Get("w", "after")
			return v == fmt.Sprint(i)
		}, 10*time.Second, 5*time.Millisecond)
		require.Eventually(t, func() bool {
			for _, c := range rec.events("w", scuttlebutt.NodeLive) {
				if c.Generation == gen {
					return true
				}
			}
			return false
		}, 10*time.Second, 5*time.Millisecond)
		// The restart's NodeLive comes first, then its keys.
		var reason scuttlebutt.EventReason
		keyFirst := false
		require.Eventually(t, func() bool {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			sawLive := false
			for _, x := range rec.log {
				switch {
				case x.ev != nil && x.ev.Node.ID == "w" && x.ev.Event == scuttlebutt.NodeLive && x.ev.Generation == gen:
					reason, sawLive = x.ev.Reason, true
				case x.change != nil && x.change.Node.ID == "w" && x.change.Key == "incarnation" && x.change.Value == fmt.Sprint(i):
					keyFirst = !sawLive
					return true
				}
			}
			return false
		}, 10*time.Second, time.Millisecond)
		require.False(t, keyFirst, "restart %d: its key before its NodeLive", i)
		require.Equal(t, scuttlebutt.ReasonRestarted, reason, "restart %d", i)
	}
	require.Greater(t, checkOrder(t, rec), 20)
}

package scuttlebutt_test

import (
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

// eventRecorder keeps every event whole (it is a NodeEventNotifier), and
// the key changes of a subscription in the same order, as delivered.
type eventRecorder struct {
	mu  sync.Mutex
	log []recorded
}

// recorded is one delivered notification: a node event or a key change.
type recorded struct {
	ev     *scuttlebutt.NodeEvent
	change *scuttlebutt.KeyChange
}

func (r *eventRecorder) NotifyLive(n scuttlebutt.Node)   { panic("not called for a NodeEventNotifier") }
func (r *eventRecorder) NotifyDead(n scuttlebutt.Node)   { panic("not called for a NodeEventNotifier") }
func (r *eventRecorder) NotifyUpdate(n scuttlebutt.Node) { panic("not called for a NodeEventNotifier") }
func (r *eventRecorder) NotifyNodeEvent(ev scuttlebutt.NodeEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, recorded{ev: &ev})
}

// keyChange records a key change (a Subscribe callback).
func (r *eventRecorder) keyChange(c scuttlebutt.KeyChange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, recorded{change: &c})
}

// events returns the node events about id of type typ (all types if typ
// is negative).
func (r *eventRecorder) events(id string, typ scuttlebutt.NodeEventType) []scuttlebutt.NodeEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []scuttlebutt.NodeEvent
	for _, x := range r.log {
		if x.ev != nil && x.ev.Node.ID == id && (typ < 0 || x.ev.Event == typ) {
			out = append(out, *x.ev)
		}
	}
	return out
}

func generationOf(sb *scuttlebutt.Scuttlebutt) uint64 {
	for _, m := range sb.Members() {
		if m.Self {
			return m.Generation
		}
	}
	return 0
}

// Two processes with one ID on loopback: the newer one wins everywhere,
// the older learns it lost, and the others report the older one, with
// events and warnings.
func TestIDConflictOnLoopback(t *testing.T) {
	start := func(id string) (*scuttlebutt.Scuttlebutt, *eventRecorder, *logRecorder) {
		rec := &eventRecorder{}
		sb, logs := startUDP(t, id, func(c *scuttlebutt.Config) { c.Events = rec })
		return sb, rec, logs
	}
	seed, seedRec, seedLogs := start("seed")
	b, bRec, _ := start("b")
	old, oldRec, oldLogs := start("x")
	require.NoError(t, b.Join([]string{addrOf(seed)}))
	require.NoError(t, old.Join([]string{addrOf(seed)}))
	require.Eventually(t, allSeeAll([]*scuttlebutt.Scuttlebutt{seed, b, old}), 10*time.Second, 10*time.Millisecond)

	// A second process started with ID "x", elsewhere.
	newer, newRec, newLogs := start("x")
	require.NoError(t, newer.Join([]string{addrOf(seed)}))
	oldGen, newGen := generationOf(old), generationOf(newer)
	require.Greater(t, newGen, oldGen)

	require.Eventually(t, func() bool {
		return len(oldRec.events("x", scuttlebutt.NodeConflict)) > 0 && len(newRec.events("x", scuttlebutt.NodeConflict)) > 0 &&
			len(seedRec.events("x", scuttlebutt.NodeConflict)) > 0 && len(bRec.events("x", scuttlebutt.NodeConflict)) > 0
	}, 10*time.Second, 10*time.Millisecond)
	lost := oldRec.events("x", scuttlebutt.NodeConflict)
	require.Len(t, lost, 1)
	require.Equal(t, newGen, lost[0].Generation, "the older process learns of the newer one")
	require.Equal(t, addrOf(newer), lost[0].Node.GossipPublicAddress)
	won := newRec.events("x", scuttlebutt.NodeConflict)
	require.Len(t, won, 1)
	require.Equal(t, oldGen, won[0].Generation, "the newer process learns of the older one")
	require.Equal(t, addrOf(old), won[0].Node.GossipPublicAddress)
	for _, rec := range []*eventRecorder{seedRec, bRec} {
		c := rec.events("x", scuttlebutt.NodeConflict)
		require.Len(t, c, 1)
		require.Equal(t, oldGen, c[0].Generation, "the others report the older one")
		require.Equal(t, addrOf(old), c[0].Node.GossipPublicAddress)
		require.Equal(t, "conflict", c[0].Event.String())
	}
	// The newer incarnation is the member, everywhere.
	require.Eventually(t, func() bool {
		for _, sb := range []*scuttlebutt.Scuttlebutt{seed, b} {
			i := slices.IndexFunc(sb.Members(), func(m scuttlebutt.Member) bool { return m.Node.ID == "x" })
			if i < 0 || sb.Members()[i].Generation != newGen || sb.Members()[i].Node.GossipPublicAddress != addrOf(newer) {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
	require.Eventually(t, seedLogs.has(slog.LevelWarn, "node ID conflict", "peer", "x", "other_addr", addrOf(old)), 5*time.Second, 5*time.Millisecond)
	require.Eventually(t, oldLogs.has(slog.LevelWarn, "node ID conflict", "id", "x", "lost", "true"), 5*time.Second, 5*time.Millisecond)
	require.Eventually(t, newLogs.has(slog.LevelWarn, "node ID conflict", "id", "x", "lost", "false", "other_addr", addrOf(old)), 5*time.Second, 5*time.Millisecond)
}

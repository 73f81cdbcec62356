package scuttlebutt_test

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

func TestEventStrings(t *testing.T) {
	for typ, want := range map[scuttlebutt.NodeEventType]string{
		scuttlebutt.NodeLive: "live", scuttlebutt.NodeDead: "dead", scuttlebutt.NodeUpdate: "update",
		scuttlebutt.NodeConflict: "conflict", 9: "NodeEventType(9)",
	} {
		require.Equal(t, want, typ.String())
		require.Equal(t, want, fmt.Sprintf("%v", typ))
	}
	for r, want := range map[scuttlebutt.EventReason]string{
		scuttlebutt.ReasonNone: "", scuttlebutt.ReasonFirstSeen: "first seen", scuttlebutt.ReasonRecovered: "recovered",
		scuttlebutt.ReasonRestarted: "restarted", scuttlebutt.ReasonSuspected: "suspected dead", scuttlebutt.ReasonLeft: "left",
		scuttlebutt.ReasonCollected: "collected",
	} {
		require.Equal(t, want, r.String())
	}
	require.Equal(t, scuttlebutt.NodeUpdate+1, scuttlebutt.NodeConflict, "NodeConflict comes after NodeUpdate")
	n := scuttlebutt.Node{ID: "b", GossipPublicAddress: "10.0.0.2:9111"}
	require.Equal(t, "dead b at 10.0.0.2:9111 (suspected dead, generation 42)",
		scuttlebutt.NodeEvent{Event: scuttlebutt.NodeDead, Node: n, Reason: scuttlebutt.ReasonSuspected, Generation: 42}.String())
	require.Equal(t, "update b", scuttlebutt.NodeEvent{Event: scuttlebutt.NodeUpdate, Node: scuttlebutt.Node{ID: "b"}}.String())
	// Keyed literals of go-scuttlebutt's two fields still compile.
	_ = scuttlebutt.NodeEvent{Event: scuttlebutt.NodeLive, Node: n}
}

// memNode starts a node on net at id:7946, with its events to rec and its
// logs to a recorder it returns.
func memNode(t *testing.T, net *scuttlebutt.MemNetwork, id string, rec scuttlebutt.NotifyEvent, meta map[string]string) (*scuttlebutt.Scuttlebutt, *logRecorder) {
	t.Helper()
	tr, err := net.NewTransport(id + ":7946")
	require.NoError(t, err)
	cfg := fastConfig(id)
	cfg.Transport = tr
	cfg.Events = rec
	logs := newLogRecorder()
	cfg.StructuredLogger = logs.logger()
	sb, err := scuttlebutt.NewScuttlebutt(cfg, meta)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Shutdown() })
	return sb, logs
}

// eventIs waits until rec holds an event about id of type typ for reason,
// and returns the latest such.
func eventIs(t *testing.T, rec *eventRecorder, id string, typ scuttlebutt.NodeEventType, reason scuttlebutt.EventReason) scuttlebutt.NodeEvent {
	t.Helper()
	var found scuttlebutt.NodeEvent
	require.Eventually(t, func() bool {
		for _, ev := range rec.events(id, typ) {
			if ev.Reason == reason {
				found = ev
			}
		}
		return found.Event == typ && found.Node.ID == id
	}, 15*time.Second, 5*time.Millisecond, "%s: want %v (%v), got %v", id, typ, reason, rec.events(id, -1))
	return found
}

// A first sight, a graceful leave, a crash and restarts are told apart by
// their reasons and generations, in events and in the logs.
func TestEventsSayWhyAndWhichGeneration(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(31)
	rec := &eventRecorder{}
	a, logs := memNode(t, net, "a", rec, nil)
	join := func(id string) *scuttlebutt.Scuttlebutt {
		sb, _ := memNode(t, net, id, nil, map[string]string{"k": id})
		require.NoError(t, sb.Join([]string{addrOf(a)}))
		return sb
	}
	b, c, d := join("b"), join("c"), join("d")
	for _, sb := range []*scuttlebutt.Scuttlebutt{b, c, d} {
		id := sb.LocalNode().ID
		ev := eventIs(t, rec, id, scuttlebutt.NodeLive, scuttlebutt.ReasonFirstSeen)
		require.Equal(t, generationOf(sb), ev.Generation)
		require.Equal(t, addrOf(sb), ev.Node.GossipPublicAddress)
		require.Eventually(t, logs.has(slog.LevelInfo, "node live", "peer", id, "reason", "first seen"), 5*time.Second, 5*time.Millisecond)
	}

	// A graceful leave.
	//lint:ignore SA1012 a nil context is documented to mean Background
	require.NoError(t, c.Leave(nil))
	ev := eventIs(t, rec, "c", scuttlebutt.NodeDead, scuttlebutt.ReasonLeft)
	require.Equal(t, generationOf(c), ev.Generation)
	require.Eventually(t, logs.has(slog.LevelInfo, "node left", "peer", "c"), 5*time.Second, 5*time.Millisecond)

	// A crash, convicted.
	bGen := generationOf(b)
	require.NoError(t, b.Shutdown())
	ev = eventIs(t, rec, "b", scuttlebutt.NodeDead, scuttlebutt.ReasonSuspected)
	require.Equal(t, bGen, ev.Generation)
	require.Eventually(t, logs.has(slog.LevelInfo, "node dead", "peer", "b", "reason", "suspected dead"), 5*time.Second, 5*time.Millisecond)
	dead := logs.find(slog.LevelInfo, "node dead", "peer", "b")
	phi, err := strconv.ParseFloat(dead[0].attrs["phi"], 64)
	require.NoError(t, err, "the conviction is logged with this node's phi: %v", dead[0].attrs)
	require.Greater(t, phi, 1.0)

	// Restarted after its death: live again, as a new generation.
	b2 := join("b")
	ev = eventIs(t, rec, "b", scuttlebutt.NodeLive, scuttlebutt.ReasonRestarted)
	require.Equal(t, generationOf(b2), ev.Generation)
	require.Greater(t, ev.Generation, bGen)

	// Restarted while live: the old generation dies, the new one lives.
	dGen := generationOf(d)
	require.NoError(t, d.Shutdown())
	d2 := join("d")
	ev = eventIs(t, rec, "d", scuttlebutt.NodeLive, scuttlebutt.ReasonRestarted)
	require.Equal(t, generationOf(d2), ev.Generation)
	evs := rec.events("d", -1)
	i := slices.Index(evs, ev)
	require.Positive(t, i)
	prev := evs[i-1]
	require.Equal(t, scuttlebutt.NodeEvent{Event: scuttlebutt.NodeDead, Node: prev.Node, Reason: scuttlebutt.ReasonRestarted, Generation: dGen}, prev)
	require.Eventually(t, logs.has(slog.LevelInfo, "node restarted", "peer", "d", "generation", fmt.Sprint(generationOf(d2)), "previous_generation", fmt.Sprint(dGen)),
		5*time.Second, 5*time.Millisecond, logs.dump())

	// The channel of a ChannelEvent gets the same, whole.
	ch := make(chan scuttlebutt.NodeEvent, 64)
	e, _ := memNode(t, net, "e", &scuttlebutt.ChannelEvent{Ch: ch}, nil)
	require.NoError(t, e.Join([]string{addrOf(a)}))
	for got := range ch {
		if got.Node.ID == "a" && got.Event == scuttlebutt.NodeLive {
			require.Equal(t, scuttlebutt.ReasonFirstSeen, got.Reason)
			require.Equal(t, generationOf(a), got.Generation)
			break
		}
	}
}

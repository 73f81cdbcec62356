package gossip_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/scuttlego/scuttlebutt/internal/sim"
)

// The external tests run clusters in the simulator (internal/sim), the
// engine's second driver: engines in virtual time over a simulated network,
// here a perfect one without delay (sim.Network{}), each node ticking at
// its own random phase within the gossip interval. Bounds in rounds are
// bounds in gossip intervals of virtual time.

// interval is the GossipInterval of every test cluster (the LAN default).
const interval = time.Second

// configWith returns the node configurations of a test cluster: the LAN
// defaults of cluster "default" with the node's ID, then edit (nil: none).
func configWith(edit func(c *gossip.Config)) func(id string) gossip.Config {
	return func(id string) gossip.Config {
		c := gossip.DefaultConfig()
		c.ID = id
		if edit != nil {
			edit(&c)
		}
		return c
	}
}

// newSim returns a simulation of n node slots, none started, over a
// perfect network without delay; seed decides the nodes' phases and the
// engines' seeds.
func newSim(seed uint64, n int, edit func(c *gossip.Config)) *sim.Sim {
	return sim.New(sim.Options{Nodes: n, Seed: seed, Config: configWith(edit)})
}

// startCluster starts n nodes, node i with key "k" set to i, every node
// but the first joining the first, and delivers the joins.
func startCluster(tb testing.TB, s *sim.Sim, n int) {
	tb.Helper()
	require.NoError(tb, s.StartJoined(n, func(i int) map[string]string { return map[string]string{"k": fmt.Sprint(i)} }))
	run(tb, s, 0)
}

// run runs s for n gossip intervals.
func run(tb testing.TB, s *sim.Sim, n int) {
	tb.Helper()
	require.NoError(tb, s.RunFor(time.Duration(n)*interval))
}

// within runs s until cond holds, checking it now and every tenth of an
// interval, and fails unless it held within n intervals. It returns the
// virtual time it took.
func within(tb testing.TB, s *sim.Sim, n int, cond func() bool) time.Duration {
	tb.Helper()
	t0 := s.Elapsed()
	ok, err := s.RunUntil(cond, interval/10, time.Duration(n)*interval)
	require.NoError(tb, err)
	require.True(tb, ok, "condition not reached in %d intervals", n)
	return s.Elapsed() - t0
}

// rounds renders a virtual duration in gossip intervals.
func rounds(d time.Duration) string {
	return fmt.Sprintf("%.1f intervals", d.Seconds()/interval.Seconds())
}

// eventLog holds every event the engines of a simulation emitted, by
// observer ID (over all its incarnations).
type eventLog map[string][]gossip.Event

// recordEvents records every event of s from now on.
func recordEvents(s *sim.Sim) eventLog {
	l := eventLog{}
	s.OnEvent(func(o *sim.Node, ev gossip.Event) { l[o.ID()] = append(l[o.ID()], ev) })
	return l
}

// of returns the types of the events observer emitted about node id.
func (l eventLog) of(observer, id string) []gossip.EventType {
	var ts []gossip.EventType
	for _, e := range l[observer] {
		if e.Node.ID == id {
			ts = append(ts, e.Type)
		}
	}
	return ts
}

// count returns the number of events of type typ, over every observer.
func (l eventLog) count(typ gossip.EventType) int {
	k := 0
	for _, evs := range l {
		for _, e := range evs {
			if e.Type == typ {
				k++
			}
		}
	}
	return k
}

// receive hands node i's engine the datagram data from addr at the current
// virtual time and returns what the engine answered, keeping it from the
// network: tests poke single datagrams at one engine of a running cluster.
func receive(tb testing.TB, s *sim.Sim, i int, from string, data []byte) (out []gossip.Datagram, events []gossip.Event) {
	tb.Helper()
	require.NoError(tb, s.Do(i, func(e *gossip.Engine, now time.Time) {
		e.Receive(now, from, data)
		rd := e.Ready()
		out, events = rd.Datagrams, rd.Events
	}))
	return out, events
}

// statusAll reports whether every node of ns holds node id with status.
func statusAll(s *sim.Sim, ns []int, id, status string) bool {
	for _, i := range ns {
		if s.Node(i).Engine().PeerStatus(id) != status {
			return false
		}
	}
	return true
}

// ids returns the IDs of nodes.
func ids(nodes []gossip.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.ID)
	}
	return out
}

func last[T any](s []T) T { return s[len(s)-1] }

func countOf[T comparable](s []T, v T) int {
	k := 0
	for _, x := range s {
		if x == v {
			k++
		}
	}
	return k
}

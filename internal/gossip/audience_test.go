package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// exchangeAll hands every datagram between a and b on until neither has
// anything to send, and returns the events each emitted and whether each
// reported its leave done.
func exchangeAll(t *testing.T, a, b *Engine, now time.Time) (evA, evB []Event, leftA, leftB bool) {
	t.Helper()
	for range 20 {
		ra, rb := a.Ready(), b.Ready()
		evA, evB = append(evA, ra.Events...), append(evB, rb.Events...)
		leftA, leftB = leftA || ra.LeaveDone, leftB || rb.LeaveDone
		if len(ra.Datagrams)+len(rb.Datagrams) == 0 {
			return evA, evB, leftA, leftB
		}
		for _, d := range ra.Datagrams {
			if d.To == b.self.addr {
				b.Receive(now, a.self.addr, d.Data)
			}
		}
		for _, d := range rb.Datagrams {
			if d.To == a.self.addr {
				a.Receive(now, b.self.addr, d.Data)
			}
		}
	}
	t.Fatal("the exchange does not end")
	return
}

// joinedOnce runs the first half of a join: the joiner's Syn, the seed's
// SynAck. The joiner's join is done and it holds the seed live; the seed
// has not seen the joiner's Ack.
func joinedOnce(t *testing.T) (seed, j *Engine) {
	seed, j = newNode(t, testConfig("seed"), 1, nil), newNode(t, testConfig("j"), 2, nil)
	j.joinNow(T0, []string{seed.self.addr})
	pass(t, j, seed, T0)
	synAck := seed.Ready().Datagrams
	require.Len(t, synAck, 1)
	j.Receive(T0, seed.self.addr, synAck[0].Data)
	require.True(t, j.IsLive("seed"))
	require.Nil(t, seed.nodes["j"], "the seed does not hold the joiner yet")
	j.Ready() // the Ack and the follow-up Syn are lost
	return seed, j
}

// A seed that leaves as soon as a joiner's join returned announces it to
// the joiner, which reports it gone, and waits for its acknowledgement.
func TestLeaveReachesAJoinerTheSeedDoesNotHoldYet(t *testing.T) {
	seed, j := joinedOnce(t)
	now := T0.Add(time.Millisecond)
	seed.Leave(now)
	rd := seed.Ready()
	require.False(t, rd.LeaveDone, "a caller is known: the leave waits for it")
	require.Len(t, rd.Datagrams, 1)
	require.Equal(t, j.self.addr, rd.Datagrams[0].To)
	j.Receive(now, seed.self.addr, rd.Datagrams[0].Data)
	_, evJ, leftSeed, _ := exchangeAll(t, seed, j, now)
	require.Equal(t, "left", j.PeerStatus("seed"))
	require.Contains(t, evJ, Event{Type: NodeDead, Node: seed.Local(), Generation: seed.Generation(), Reason: ReasonLeft})
	if !leftSeed { // acknowledged by the digest of the next push
		now = seed.Ready().WakeAt
		seed.Tick(now)
		_, _, leftSeed, _ = exchangeAll(t, seed, j, now)
	}
	require.True(t, leftSeed, "the joiner acknowledged the leave")
}

// A joiner that leaves as soon as its join returned reaches the seed,
// which holds it departed, and is acknowledged.
func TestLeaveRightAfterJoinIsAcknowledged(t *testing.T) {
	seed, j := joinedOnce(t)
	now := T0.Add(time.Millisecond)
	j.Leave(now)
	_, _, _, leftJ := exchangeAll(t, seed, j, now)
	for i := 0; !leftJ && i < 5; i++ {
		now = j.Ready().WakeAt
		j.Tick(now)
		_, _, _, leftJ = exchangeAll(t, seed, j, now)
	}
	require.True(t, leftJ)
	require.Equal(t, "left", seed.PeerStatus("j"))
}

// A node that knows nobody leaves at once; one that knows only a pending
// peer waits for it.
func TestLeaveAloneEndsAtOnce(t *testing.T) {
	a := newNode(t, testConfig("a"), 1, nil)
	a.Leave(T0)
	require.True(t, a.Ready().LeaveDone)

	b := newNode(t, testConfig("b"), 2, nil)
	b.Introduce(T0, "p", "p:7946", 1) // relayed: pending
	require.Equal(t, "pending", b.PeerStatus("p"))
	b.Leave(T0)
	rd := b.Ready()
	require.False(t, rd.LeaveDone)
	require.Len(t, rd.Datagrams, 1)
	require.Equal(t, "p:7946", rd.Datagrams[0].To)
}

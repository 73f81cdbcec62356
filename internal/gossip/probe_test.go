package gossip

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// Probes are spread over the hold: a queue larger than probesPerRound
// gets a rate that empties it two rounds before the hold ends, kept while
// it drains, back to the floor once it is empty.
func TestProbeBudgetSpreadsOverTheHold(t *testing.T) {
	e := newNode(t, testConfig("a"), 1, nil)
	rounds := int(e.freshHold()/e.cfg.GossipInterval) - 2
	require.Positive(t, rounds)
	require.Equal(t, probesPerRound, e.probeBudgetFor(), "nothing queued")

	var peers []Introduction
	for i := range 10 * probesPerRound {
		peers = append(peers, Introduction{ID: fmt.Sprintf("p%03d", i), Addr: fmt.Sprintf("p%03d:1", i), Generation: gen0})
	}
	e.IntroduceAll(T0, peers)
	require.Len(t, e.probeQ, len(peers)-probesPerRound, "every relayed node is queued; the round's first budget went out at once")
	want := (len(e.probeQ) + rounds - 1) / rounds
	require.Equal(t, want, e.probeBudgetFor())
	e.probeQ = e.probeQ[:probesPerRound+1]
	require.Equal(t, want, e.probeBudgetFor(), "kept while the queue drains")
	e.probeQ = nil
	require.Equal(t, probesPerRound, e.probeBudgetFor())

	e.probeQ = make([]*nodeState, 100*maxProbesPerRound)
	require.Equal(t, maxProbesPerRound, e.probeBudgetFor(), "bounded")
}

// A relayed node that a probe asked and that did not answer by the end of
// its hold is not admitted then: its hold runs once more and it is probed
// again. One that answers is admitted at once; one never probed, or held
// a second time, is admitted at its hold's end if no alerts hold it back.
func TestUnansweredHoldExtendedOnce(t *testing.T) {
	e := newNode(t, testConfig("a"), 1, nil)
	e.IntroduceAll(T0, []Introduction{{ID: "p0", Addr: "p0:1", Generation: gen0}, {ID: "p1", Addr: "p1:1", Generation: gen0}})
	p0, p1 := e.nodes["p0"], e.nodes["p1"]
	require.Equal(t, statusPending, p0.status)
	require.True(t, p0.probeSent, "probed at once")
	require.Empty(t, e.probeQ)
	p1.probeSent = false // as if the budget had left it out

	end := T0.Add(e.freshHold())
	e.checkAdmissions(end)
	require.Equal(t, statusLive, p1.status, "never probed: admitted by the hold")
	require.Equal(t, statusPending, p0.status, "probed, silent: held once more")
	require.True(t, p0.holdExtended)
	require.Equal(t, []*nodeState{p0}, e.probeQ, "and probed again")
	require.Equal(t, e.fd.Mono(end.Add(e.freshHold())), p0.admitAt)

	e.checkAdmissions(end.Add(e.freshHold() - 1))
	require.Equal(t, statusPending, p0.status)
	e.checkAdmissions(end.Add(e.freshHold()))
	require.Equal(t, statusLive, p0.status, "no alerts about it: admitted after the second hold")
}

// gen0 is a first incarnation's generation (no rejoins), as a start at T0
// picks.
var gen0 = uint64(T0.UnixNano())

// AcquaintAll starts a node as a completed bootstrap leaves it: its peers
// are live members at once, neither held nor probed.
func TestAcquaintAllAdmitsAtOnce(t *testing.T) {
	e := newNode(t, testConfig("a"), 1, nil)
	e.AcquaintAll(T0, []Introduction{{ID: "p0", Addr: "p0:1", Generation: gen0}, {ID: "p1", Addr: "p1:1", Generation: gen0}})
	require.Equal(t, statusLive, e.nodes["p0"].status)
	require.Equal(t, statusLive, e.nodes["p1"].status)
	require.Equal(t, 2, e.liveCount())
	require.Empty(t, e.probeQ)
	require.Zero(t, e.stats.ProbesSent)
}

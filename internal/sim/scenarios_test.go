package sim

import (
	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Scenario tests run at 20-40 nodes and assert properties, not figures:
// BENCHMARKS.md has the figures.

// healthy checks what every scenario must show: no core anomaly, no
// datagram over the limit, and a warm-up that converged.
func healthy(t *testing.T, r *Result) {
	t.Helper()
	t.Logf("%s: %+v", r.Scenario, *r)
	require.Zero(t, r.DroppedOutgoing, "datagrams the engine could not fit")
	require.Zero(t, r.DroppedMalformed, "datagrams the engine could not decode")
	require.LessOrEqual(t, r.MaxDatagramBytes, r.MaxPacketSize)
	require.Positive(t, r.MaxDatagramBytes)
	if r.Scenario != "bootstrap" {
		require.True(t, r.WarmupOK, "warm-up converged")
	}
}

func TestSteady(t *testing.T) {
	t.Parallel()
	r, err := Steady(SteadyParams{Common{Nodes: 30, Rounds: 30}})
	require.NoError(t, err)
	healthy(t, r)
	require.True(t, r.Converged)
	require.Zero(t, r.FalseDeadEvents)
	require.Equal(t, 1, r.DistinctMemberCountsMax, "everyone agrees on the cluster size throughout")
	require.Positive(t, r.BytesPerNodePerSecMean)
	// A heartbeat to each of K observers a round; with changes pushed,
	// one anti-entropy exchange a round (a Syn and an Ack sent, and on
	// average one SynAck in answer to another's Syn); a little more for
	// the occasional seed or dead-node probe.
	require.Less(t, r.DatagramsPerNodePerSecMax, float64(gossip.DefaultObservers)+3+2)
	require.Less(t, r.BytesPerNodePerSecMax, 11*float64(r.MaxPacketSize))
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	r, err := Update(UpdateParams{Common{Nodes: 40, Rounds: 20}})
	require.NoError(t, err)
	healthy(t, r)
	require.Equal(t, 39, r.UpdateNodes)
	require.Zero(t, r.UpdateMissing)
	require.Positive(t, r.ConvergenceRoundsP50)
	require.LessOrEqual(t, r.ConvergenceRoundsP50, r.ConvergenceRoundsP99)
	require.LessOrEqual(t, r.ConvergenceRoundsP99, r.ConvergenceRoundsMax)
	require.Less(t, r.ConvergenceRoundsMax, 6.0, "push-pull gossip reaches 40 nodes in a few rounds")
	require.Zero(t, r.FalseDeadEvents)
}

func TestCrash(t *testing.T) {
	t.Parallel()
	r, err := Crash(CrashParams{Common: Common{Nodes: 40, Rounds: 25}, Crashed: 3})
	require.NoError(t, err)
	healthy(t, r)
	require.Equal(t, 3*37, r.DetectionPairs)
	require.Zero(t, r.DetectionMissing, "every survivor reports every crashed node dead")
	require.Equal(t, 3*37, r.TrueDeadEvents, "each survivor convicts each crashed node once")
	require.Zero(t, r.FalseLiveEvents, "nobody revives a crashed node")
	// AcceptableHeartbeatPause is 3 s: nobody convicts sooner; the default
	// detector convicts after about 4.5 s of silence once heartbeats come
	// at a steady pace, later when they come through gossip irregularly.
	require.Greater(t, r.DetectionSecondsP50, 3.0)
	require.Less(t, r.DetectionSecondsMax, 15.0)
	require.Zero(t, r.FalseDeadEvents)
	require.True(t, r.Converged, "survivors agree once the dead are dead")
}

func TestChurn(t *testing.T) {
	t.Parallel()
	r, err := Churn(ChurnParams{Common: Common{Nodes: 30, Rounds: 40}, Joins: 3, Leaves: 3, Restarts: 3})
	require.NoError(t, err)
	healthy(t, r)
	require.True(t, r.Converged, "converged after the churn")
	require.Zero(t, r.StuckPairs)
	require.Zero(t, r.FalseDeadEvents)
	require.Positive(t, r.TrueDeadEvents, "leaves and crashes were reported")
}

func TestPartition(t *testing.T) {
	t.Parallel()
	r, err := Partition(PartitionParams{Common: Common{Nodes: 30, Rounds: 60}, Fraction: 0.3, Duration: 40 * time.Second})
	require.NoError(t, err)
	healthy(t, r)
	require.True(t, r.Converged, "identical state after the heal")
	require.Less(t, r.ConvergedAfterSeconds, 30.0)
	require.Zero(t, r.StuckPairs)
	require.Zero(t, r.FalseDeadEvents)
	// The majority removes the minority at once: each minority node has
	// most of its observers there. The minority holds only a few of each
	// majority node's observers, so it decides about the majority in
	// steps, as its rings settle: part of it within the 40 s here.
	require.GreaterOrEqual(t, r.FaultDeadEvents, 9*21+9*21/4, "both sides convicted the other")
	require.Greater(t, r.DistinctMemberCountsMax, 1)
}

// At 10 % uniform loss: no false deaths, everything arrives, crashes are
// detected.
func TestLossTenPercent(t *testing.T) {
	t.Parallel()
	r, err := Loss(LossParams{Common: Common{Nodes: 30, Rounds: 25, SettleRounds: 30}, Levels: []float64{0.1}})
	require.NoError(t, err)
	require.Len(t, r.Sweep, 1)
	p := r.Sweep[0]
	healthy(t, p)
	require.Equal(t, 0.1, p.Loss)
	require.Zero(t, p.FalseDeadEvents)
	require.Zero(t, p.UpdateMissing)
	require.Zero(t, p.DetectionMissing)
	require.True(t, p.Converged)
	require.Equal(t, p.FalseDeadEvents, r.FalseDeadEvents, "top level is the worst over the sweep")
}

// Loss set alone is the one level run.
func TestLossAtOneLevel(t *testing.T) {
	t.Parallel()
	r, err := Loss(LossParams{Common: Common{Nodes: 20, Rounds: 20, Loss: 0.05}})
	require.NoError(t, err)
	require.Len(t, r.Sweep, 1)
	require.Equal(t, 0.05, r.Sweep[0].Loss)
	require.Equal(t, 0.05, r.Loss)
	healthy(t, r.Sweep[0])
	require.Zero(t, r.Sweep[0].DetectionMissing)
}

func TestLossSweepDegradesGracefully(t *testing.T) {
	t.Parallel()
	r, err := Loss(LossParams{Common: Common{Nodes: 20, Rounds: 25, SettleRounds: 30}, Levels: []float64{0, 0.3}})
	require.NoError(t, err)
	require.Len(t, r.Sweep, 2)
	for _, p := range r.Sweep {
		healthy(t, p)
		require.Zero(t, p.UpdateMissing)
		require.Zero(t, p.DetectionMissing)
	}
	require.Greater(t, r.Sweep[1].ConvergenceSecondsP99, r.Sweep[0].ConvergenceSecondsP99, "loss slows the spread")
	require.Equal(t, max(r.Sweep[0].ConvergenceSecondsP99, r.Sweep[1].ConvergenceSecondsP99), r.ConvergenceSecondsP99)
}

func TestOneWay(t *testing.T) {
	t.Parallel()
	r, err := OneWay(OneWayParams{Common: Common{Nodes: 30, Rounds: 25}, Fraction: 0.2})
	require.NoError(t, err)
	healthy(t, r)
	require.Zero(t, r.FalseDeadEvents, "gossip relays around one-way cuts")
	require.Zero(t, r.UpdateMissing)
	require.Zero(t, r.DetectionMissing)
	require.True(t, r.Converged)
}

func TestFlipFlop(t *testing.T) {
	t.Parallel()
	r, err := FlipFlop(FlipFlopParams{Common: Common{Nodes: 30}, Flippers: 5, On: 15 * time.Second, Off: 15 * time.Second})
	require.NoError(t, err)
	healthy(t, r)
	require.Zero(t, r.FalseDeadEventsHealthy, "nobody convicts a healthy node")
	require.Positive(t, r.FaultDeadEvents, "the deaf flippers are removed")
	// Each flipper was removed and rejoined while it kept failing: at the
	// end it is on a probation that doubled with each removal, longer than
	// the run, and its peers hold it pending.
	require.GreaterOrEqual(t, r.FaultDeadEvents, 5*25, "every healthy node removed every flipper")
}

func TestLossyFew(t *testing.T) {
	t.Parallel()
	r, err := LossyFew(LossyFewParams{Common: Common{Nodes: 40, Rounds: 60}, Fraction: 0.05})
	require.NoError(t, err)
	healthy(t, r)
	require.Zero(t, r.FalseDeadEventsHealthy, "healthy nodes are never convicted")
	require.Zero(t, r.UpdateMissing, "even the lossy nodes get the update")
	// Each node judges a lossy node by itself (phi accrual has no
	// agreement step), so healthy nodes may briefly differ by the lossy
	// nodes in flux; never by more.
	require.LessOrEqual(t, r.DistinctMemberCountsHealthy, 2)
}

func TestBootstrap(t *testing.T) {
	t.Parallel()
	r, err := Bootstrap(BootstrapParams{Common{Nodes: 40, Rounds: 60}})
	require.NoError(t, err)
	healthy(t, r)
	require.True(t, r.WarmupOK, "every node saw all 40 members")
	require.True(t, r.Converged)
	require.Less(t, r.WarmupSeconds, 30.0)
	require.Positive(t, r.BootstrapSeconds)
	require.Equal(t, r.AllMembersSeconds, r.BootstrapSeconds, "every node started at 0")
	require.Zero(t, r.FalseDeadEvents)
}

// A node joining a running cluster of 300 gets the state it lacks streamed
// by the seed (transfer.go) within a second (1.7 s without the stream), and
// no node sends more than 1 MB in any second meanwhile.
func TestJoinStateTransfer(t *testing.T) {
	large(t)
	r, err := Join(JoinParams{Common{Nodes: 300, Rounds: 30}})
	require.NoError(t, err)
	require.Zero(t, r.DroppedOutgoing)
	require.Zero(t, r.DroppedMalformed)
	require.Positive(t, r.JoinStateSeconds)
	require.LessOrEqual(t, r.JoinStateSeconds, 1.0, "in virtual time")
	require.Less(t, r.JoinPeakBytesPerSec, 1e6)
	require.True(t, r.Converged)
	require.Zero(t, r.FalseDeadEvents)
}

func TestDeleteStorm(t *testing.T) {
	t.Parallel()
	r, err := DeleteStorm(DeleteStormParams{Common: Common{Nodes: 20, Rounds: 60, TombstoneGrace: 10 * time.Second}})
	require.NoError(t, err)
	healthy(t, r)
	require.Zero(t, r.StaleKeys, "no deleted key is live anywhere")
	require.True(t, r.Converged)
	require.Zero(t, r.FalseDeadEvents)
}

func TestGCPartition(t *testing.T) {
	t.Parallel()
	r, err := GCPartition(GCPartitionParams{Common: Common{Nodes: 20, Rounds: 60, TombstoneGrace: 10 * time.Second}})
	require.NoError(t, err)
	healthy(t, r)
	require.Equal(t, 3, r.ResetsNeeded, "every owner's replica on the isolated node is past its GC watermark")
	require.Zero(t, r.StaleKeys, "the isolated node brought a deleted key back")
	require.Zero(t, r.MissingKeys, "current values missing after the reset")
	require.True(t, r.Converged)
	require.Zero(t, r.FalseDeadEvents)
}

func TestMassRestart(t *testing.T) {
	t.Parallel()
	r, err := MassRestart(MassRestartParams{Common: Common{Nodes: 30, Rounds: 60}, Fraction: 0.5})
	require.NoError(t, err)
	healthy(t, r)
	require.True(t, r.Converged, "everyone holds the new generations")
	require.Zero(t, r.StuckPairs, "nobody stays dead")
	require.Zero(t, r.FalseDeadEvents)
}

func TestLeaveRejoin(t *testing.T) {
	t.Parallel()
	r, err := LeaveRejoin(LeaveRejoinParams{Common: Common{Nodes: 30, Rounds: 30}, Leavers: 2})
	require.NoError(t, err)
	healthy(t, r)
	require.Zero(t, r.LeaveDetectionMissing)
	require.Positive(t, r.LeaveDetectionSecMax)
	require.Less(t, r.LeaveDetectionSecMax, 1.0, "a leave is seen at once, not after the phi timeout")
	require.True(t, r.Converged, "the rejoined nodes are live everywhere")
	require.Zero(t, r.StuckPairs)
	require.Zero(t, r.FalseDeadEvents)
}

// The checks can fail: a partition that never heals leaves the cluster
// split, and the result says so.
func TestUnhealedPartitionIsReported(t *testing.T) {
	t.Parallel()
	r, err := newRun("split", Common{Nodes: 10}.withDefaults(10))
	require.NoError(t, err)
	require.NoError(t, r.warmup())
	r.s.Partition([]int{0, 1, 2})
	require.NoError(t, r.rounds(20))
	require.NoError(t, r.awaitConvergence(10))
	res, err := r.finish()
	require.NoError(t, err)
	require.False(t, res.Converged)
	require.Equal(t, -1.0, res.ConvergedAfterSeconds)
	require.Equal(t, 2*3*7, res.StuckPairs)
	require.NotEmpty(t, res.Notes)
}

func TestScenarioRegistry(t *testing.T) {
	names := []string{"bootstrap", "churn", "counter", "crash", "delete-storm", "flipflop", "gc-partition", "join", "leave-rejoin",
		"loss", "lossy-few", "mass-restart", "oneway", "partition", "steady", "update"}
	require.Len(t, Scenarios, len(names))
	for i, s := range Scenarios {
		require.Equal(t, names[i], s.Name)
		got, ok := Lookup(s.Name)
		require.True(t, ok)
		require.Equal(t, s.Name, got.Name)
	}
	_, ok := Lookup("nope")
	require.False(t, ok)
	_, err := Update(UpdateParams{Common{Nodes: 1}})
	require.Error(t, err)
}

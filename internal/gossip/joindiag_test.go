package gossip

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// joinOutcome passes j's Syn to seed and seed's answer, if any, back to j,
// and returns the end of j's join, if it ended, and the notices of both.
func joinOutcome(t *testing.T, j, seed *Engine, now time.Time) (done bool, notices []Notice, err error) {
	t.Helper()
	j.joinNow(now, []string{seed.self.addr})
	syn := pass(t, j, seed, now)
	rd := seed.Ready()
	notices = append(notices, rd.Notices...)
	if len(rd.Datagrams) > 0 {
		require.Len(t, rd.Datagrams, 1)
		require.Equal(t, j.self.addr, rd.Datagrams[0].To)
		require.LessOrEqual(t, len(rd.Datagrams[0].Data), unknownReplyFactor*len(syn), "a refusal amplifies nothing")
		j.Receive(now, seed.self.addr, rd.Datagrams[0].Data)
	}
	jr := j.Ready()
	return jr.JoinDone, append(notices, jr.Notices...), jr.JoinErr
}

// A seed of another cluster makes the join fail at once with
// ErrClusterMismatch, naming both clusters.
func TestJoinRefusedByAnotherCluster(t *testing.T) {
	seed := newNode(t, testConfig("seed"), 1, nil)
	cfg := testConfig("j")
	cfg.ClusterID = "prod"
	j := newNode(t, cfg, 2, nil)
	done, notices, err := joinOutcome(t, j, seed, T0)
	require.True(t, done, "the join ends at once")
	require.ErrorIs(t, err, ErrClusterMismatch)
	require.NotErrorIs(t, err, ErrJoinTimeout)
	require.ErrorContains(t, err, `seed "seed:7946": answered for cluster "default", this node is in "prod"`)
	require.Len(t, notices, 1)
	require.Equal(t, NoticeRefused, notices[0].Kind)
	require.Equal(t, "seed:7946", notices[0].Addr)
	require.ErrorIs(t, notices[0].Err, ErrClusterMismatch)
	require.Equal(t, uint64(1), j.Stats(T0).WrongClusterReplies)
}

// Every key mismatch makes the join fail at once with ErrAuthFailed and a
// description of the mismatch: the seed answers a Syn it cannot
// authenticate with a notice the joiner cannot open, or opens and reads.
func TestJoinRefusedOnKeyMismatch(t *testing.T) {
	both, err := seal.NewKeyring([][]byte{Key1}, Key3) // seals with Key3, accepts Key1
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		seed, j *seal.Keyring
		why     string
	}{
		{"joiner without key", NewTestKeyring(Key1), nil, "its datagrams are encrypted and this node has no key"},
		{"seed without key", nil, NewTestKeyring(Key1), "its datagrams are not encrypted and this node's are"},
		{"other key", NewTestKeyring(Key1), NewTestKeyring(Key3), "sealed with a key this node does not hold"},
		{"seed lacks the joiner's primary", NewTestKeyring(Key1), both, "it cannot authenticate this node's datagrams"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, jc := testConfig("seed"), testConfig("j")
			sc.Keyring, jc.Keyring = tc.seed, tc.j
			seed, j := newNode(t, sc, 1, nil), newNode(t, jc, 2, nil)
			done, notices, err := joinOutcome(t, j, seed, T0)
			require.True(t, done, "the join ends at once")
			require.ErrorIs(t, err, ErrAuthFailed)
			require.ErrorContains(t, err, tc.why)
			require.Equal(t, uint64(1), seed.Stats(T0).DroppedAuth)
			var kinds []string
			for _, n := range notices {
				require.ErrorIs(t, n.Err, ErrAuthFailed)
				kinds = append(kinds, n.Addr)
			}
			require.Equal(t, []string{"j:7946", "seed:7946"}, kinds, "each side notes the other")
			require.Empty(t, j.LiveNodes())

			// The seed tells a sender once per ten intervals at most.
			j.sendSyn(seed.self.addr)
			pass(t, j, seed, T0.Add(time.Second))
			require.Empty(t, seed.Ready().Datagrams)
			j.sendSyn(seed.self.addr)
			pass(t, j, seed, T0.Add(10*time.Second))
			require.Len(t, seed.Ready().Datagrams, 1)
		})
	}
}

// A join that ends at its deadline says per seed what happened: resolution
// errors, refusals and silence, and wraps every cause.
func TestJoinErrorSaysPerSeedWhatHappened(t *testing.T) {
	j := newNode(t, testConfig("j"), 2, nil)
	other := testConfig("seed")
	other.ClusterID = "other"
	seed := newNode(t, other, 1, nil)
	now := T0
	lookup := errors.New("lookup nowhere.invalid: no such host")
	resolve := func() {
		for len(j.ready.Resolve) > 0 {
			j.ready.Resolve = nil
			j.SeedsResolved(now, []Resolution{
				{Name: "seed:7946", Addr: "seed:7946"}, {Name: "silent:7946", Addr: "10.0.0.9:7946"},
				{Name: "nowhere.invalid:9111", Err: lookup}, {Name: "j:7946", Addr: "j:7946"},
			})
		}
	}
	j.Join(now, []string{"seed:7946", "silent:7946", "nowhere.invalid:9111", "j:7946"})
	resolve()
	rd := j.Ready()
	require.False(t, rd.JoinDone)
	for _, d := range rd.Datagrams {
		if d.To == "seed:7946" {
			seed.Receive(now, "j:7946", d.Data)
		}
	}
	for _, d := range seed.Ready().Datagrams {
		j.Receive(now, "seed:7946", d.Data)
	}
	rd = j.Ready()
	require.False(t, rd.JoinDone, "one seed refused, the others may still answer")
	for !rd.JoinDone {
		require.False(t, rd.WakeAt.IsZero())
		now = rd.WakeAt
		j.Tick(now)
		resolve()
		rd = j.Ready()
		require.LessOrEqual(t, now.Sub(T0), j.cfg.joinTimeout())
	}
	err := rd.JoinErr
	require.ErrorIs(t, err, ErrJoinTimeout)
	require.ErrorIs(t, err, ErrClusterMismatch)
	require.ErrorIs(t, err, lookup)
	require.Equal(t, `scuttlebutt: no seed answered within 5s: `+
		`seed "seed:7946": answered for cluster "other", this node is in "default" (ClusterID); `+
		`seed "silent:7946" (10.0.0.9:7946): no answer; `+
		`seed "nowhere.invalid:9111": lookup nowhere.invalid: no such host`, err.Error())
}

// A join without a deadline waits until a seed answers, retrying; StopJoin
// ends the retries, and JoinError describes the join meanwhile.
func TestJoinUntilWithoutDeadline(t *testing.T) {
	j := newNode(t, testConfig("j"), 2, nil)
	now := T0
	j.JoinUntil(now, []string{"a:1"}, time.Time{})
	j.answerResolve(now)
	syns := 0
	for now.Before(T0.Add(time.Minute)) {
		rd := j.Ready()
		require.False(t, rd.JoinDone)
		syns += len(rd.Datagrams)
		now = rd.WakeAt
		j.Tick(now)
		j.answerResolve(now)
	}
	require.Greater(t, syns, 100, "retried every half interval")
	err := j.JoinError(fmt.Errorf("cancelled: %w", errors.ErrUnsupported))
	require.EqualError(t, err, `cancelled: unsupported operation: seed "a:1": no answer`)
	require.ErrorIs(t, err, errors.ErrUnsupported)
	j.StopJoin(now)
	require.False(t, j.join.active)
	require.Equal(t, j.nextRound, j.Ready().WakeAt, "no retry is due any more")
}

// A datagram that does not authenticate but is no Syn gets no answer, and
// an Unauthenticated notice is never answered.
func TestUnauthenticatedNoticeIsNeverAnswered(t *testing.T) {
	a := newNode(t, withKey("a", Key1), 1, nil)
	b := newNode(t, withKey("b", Key3), 2, nil)
	a.sendSyn(b.self.addr)
	pass(t, a, b, T0)
	notice := b.Ready().Datagrams
	require.Len(t, notice, 1)
	require.Equal(t, wire.MsgUnauthenticated, msgType(t, notice[0].Data))
	a.Receive(T0, b.self.addr, notice[0].Data)
	require.Empty(t, a.Ready().Datagrams)
	require.Equal(t, uint64(1), a.Stats(T0).DroppedAuth)
}

// An answer about other names, such as a round's resolution of earlier
// seeds, does not end a join whose own seeds are still being resolved.
func TestJoinWaitsForItsOwnSeedsResolution(t *testing.T) {
	j := newNode(t, testConfig("j"), 2, nil)
	j.Join(T0, []string{"a:1"})
	j.SeedsResolved(T0, []Resolution{{Name: "a:1", Addr: "10.0.0.1:1"}})
	j.Ready()
	j.StopJoin(T0)
	j.Join(T0, []string{"b:1"})
	j.SeedsResolved(T0, []Resolution{{Name: "a:1", Addr: "10.0.0.1:1"}}) // not b's answer
	rd := j.Ready()
	require.False(t, rd.JoinDone, "the join ended before its seed resolved")
	j.SeedsResolved(T0, []Resolution{{Name: "b:1", Addr: "10.0.0.2:1"}})
	rd = j.Ready()
	require.False(t, rd.JoinDone)
	require.Len(t, rd.Datagrams, 1)
	require.Equal(t, "10.0.0.2:1", rd.Datagrams[0].To)
}

// A node's own datagram looped back (a seed address naming it under
// another address) is dropped as such, not counted malformed; one from
// its ID at another generation is a conflict, no loop.
func TestOwnDatagramLoopedBack(t *testing.T) {
	a := newNode(t, testConfig("a"), 1, nil)
	a.sendSyn("127.0.1.1:7946")
	syn := a.Ready().Datagrams[0].Data
	a.Receive(T0, "127.0.1.1:7946", syn)
	rd := a.Ready()
	require.Empty(t, rd.Datagrams)
	require.Equal(t, []Notice{{Kind: NoticeLoop, Addr: "127.0.1.1:7946"}}, rd.Notices)
	require.Zero(t, a.Stats(T0).DroppedMalformed)
}

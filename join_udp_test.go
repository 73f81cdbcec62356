package scuttlebutt_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

// startUDP starts a node on loopback UDP with fastConfig(id), changed by
// edit (nil: not), logging to a recorder it returns.
func startUDP(t *testing.T, id string, edit func(c *scuttlebutt.Config)) (*scuttlebutt.Scuttlebutt, *logRecorder) {
	t.Helper()
	cfg := fastConfig(id)
	logs := newLogRecorder()
	cfg.StructuredLogger = logs.logger()
	if edit != nil {
		edit(cfg)
	}
	sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Shutdown() })
	return sb, logs
}

// silentUDP returns the address of a bound socket that never answers.
func silentUDP(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = pc.Close() })
	return pc.LocalAddr().String()
}

func addrOf(sb *scuttlebutt.Scuttlebutt) string { return sb.LocalNode().GossipPublicAddress }

// A malformed seed address is a configuration error at once, and nothing
// is contacted.
func TestJoinRejectsMalformedSeedsAtOnce(t *testing.T) {
	a, _ := startUDP(t, "a", nil)
	for _, bad := range []string{"127.0.0.1", "127.0.0.1:99999", "127.0.0.1:0", ":9111", "no host:9111", "[::1:9111", "seed:http"} {
		t0 := time.Now()
		err := a.Join([]string{"127.0.0.1:9", bad})
		require.ErrorIs(t, err, scuttlebutt.ErrInvalidConfig, bad)
		require.Contains(t, err.Error(), bad)
		require.ErrorIs(t, a.JoinContext(context.Background(), []string{bad}), scuttlebutt.ErrInvalidConfig, bad)
		require.Less(t, time.Since(t0), time.Second, "%s: not at once", bad)
	}
	require.Zero(t, a.Stats().PacketsSent, "a malformed list contacts nobody")
}

// Each common mistake fails the join with its own sentinel, at once when
// the seed answered, names the seed and what differs, and is logged at
// warn level with the seed's address, once while it persists; the seed
// logs the joiner too.
func TestJoinFailuresSayWhy(t *testing.T) {
	keyA, keyB := make([]byte, 16), make([]byte, 16)
	keyB[0] = 1
	for _, tc := range []struct {
		name        string
		seed, j     func(c *scuttlebutt.Config)
		sentinel    error
		says, seeds string // in the error; in the seed's log
	}{
		{"another cluster", func(c *scuttlebutt.Config) { c.ClusterID = "prod" }, nil, scuttlebutt.ErrClusterMismatch,
			`answered for cluster "prod", this node is in "default"`, "datagram dropped: another cluster's"},
		{"another key", func(c *scuttlebutt.Config) { c.SecretKey = keyA }, func(c *scuttlebutt.Config) { c.SecretKey = keyB }, scuttlebutt.ErrAuthFailed,
			"its datagrams are sealed with a key this node does not hold", "datagram failed authentication"},
		{"joiner without key", func(c *scuttlebutt.Config) { c.SecretKey = keyA }, nil, scuttlebutt.ErrAuthFailed,
			"its datagrams are encrypted and this node has no key", "datagram failed authentication"},
		{"seed without key", nil, func(c *scuttlebutt.Config) { c.SecretKey = keyA }, scuttlebutt.ErrAuthFailed,
			"its datagrams are not encrypted and this node's are", "datagram failed authentication"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			seed, seedLogs := startUDP(t, "seed", tc.seed)
			j, logs := startUDP(t, "j", tc.j)
			t0 := time.Now()
			err := j.Join([]string{addrOf(seed)})
			require.ErrorIs(t, err, tc.sentinel)
			require.NotErrorIs(t, err, scuttlebutt.ErrJoinTimeout)
			require.Less(t, time.Since(t0), 2*time.Second, "the seed's answer ends the join")
			require.ErrorContains(t, err, `seed "`+addrOf(seed)+`": `+tc.says)
			require.Eventually(t, seedLogs.has(slog.LevelWarn, tc.seeds, "from", addrOf(j)), 5*time.Second, 5*time.Millisecond, seedLogs.dump())

			// The node goes on trying; the seed answers every ten
			// intervals; the joiner logs the refusal once all the same.
			require.Eventually(t, func() bool {
				s := j.Stats()
				return s.WrongClusterReplies+s.DroppedAuth >= 2
			}, 10*time.Second, 5*time.Millisecond)
			refused := logs.find(slog.LevelWarn, "", "from", addrOf(seed))
			require.Len(t, refused, 1, logs.dump())
			require.Contains(t, refused[0].msg, tc.says)
			require.Empty(t, j.LiveNodes())
			require.Empty(t, seed.LiveNodes())
		})
	}
}

// A seed that never answers fails the join with ErrJoinTimeout, and the
// error says so; a name that does not resolve is named in the error.
func TestJoinTimeoutSaysPerSeed(t *testing.T) {
	j, logs := startUDP(t, "j", nil)
	silent := silentUDP(t)
	err := j.Join([]string{silent, "no-such-host.invalid:9111"})
	require.ErrorIs(t, err, scuttlebutt.ErrJoinTimeout)
	require.ErrorContains(t, err, `seed "`+silent+`": no answer`)
	require.ErrorContains(t, err, `seed "no-such-host.invalid:9111": `)
	require.ErrorContains(t, err, "within 3s")
	require.Len(t, logs.find(slog.LevelWarn, "join failed"), 1, logs.dump())
}

// JoinContext waits as long as its context allows, and says why it ended.
func TestJoinContext(t *testing.T) {
	j, _ := startUDP(t, "j", nil)
	silent := silentUDP(t)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err := j.JoinContext(ctx, []string{silent})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorIs(t, err, scuttlebutt.ErrJoinTimeout)
	require.ErrorContains(t, err, `seed "`+silent+`": no answer`)
	require.Less(t, time.Since(t0), 2*time.Second)

	// Longer than Join's own bound, 3 s with these settings: a seed that
	// starts after it is still waited for.
	// The seed's socket is bound from the start, so that no other test
	// takes its port, and read only once the seed starts.
	tr, err := scuttlebutt.NewUDPTransport("127.0.0.1:0")
	require.NoError(t, err)
	seedAddr := tr.LocalAddr()
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- j.JoinContext(ctx, []string{seedAddr}) }()
	if !assert.Never(t, func() bool { return len(done) > 0 }, 3500*time.Millisecond, 50*time.Millisecond, "JoinContext ended at Join's bound") {
		t.Fatal(<-done)
	}

	startUDP(t, "late-seed", func(c *scuttlebutt.Config) { c.Transport = tr })
	require.NoError(t, <-done)

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	err = j.JoinContext(ctx, []string{silent})
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, scuttlebutt.ErrJoinTimeout)
}

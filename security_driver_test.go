package scuttlebutt_test

import (
	"bytes"
	"encoding/json"
	"expvar"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

var (
	oldKey = bytes.Repeat([]byte{0x11}, 16)
	newKey = bytes.Repeat([]byte{0x22}, 32)
)

// keyedCluster starts n nodes on net, each with its own keyring holding key,
// all joined to the first.
func keyedCluster(t *testing.T, net *scuttlebutt.MemNetwork, n int, key []byte, recs []*recorder) []*scuttlebutt.Scuttlebutt {
	t.Helper()
	var sbs []*scuttlebutt.Scuttlebutt
	for i := range n {
		id := fmt.Sprintf("node-%02d", i)
		tr, err := net.NewTransport(id + ":7946")
		require.NoError(t, err)
		cfg := fastConfig(id)
		cfg.Transport = tr
		cfg.Keyring, err = scuttlebutt.NewKeyring(nil, key)
		require.NoError(t, err)
		cfg.Events = recs[i]
		sb, err := scuttlebutt.NewScuttlebutt(cfg, map[string]string{"index": fmt.Sprint(i)})
		require.NoError(t, err)
		require.Same(t, cfg.Keyring, sb.Keyring())
		t.Cleanup(func() { _ = sb.Shutdown() })
		if i > 0 {
			require.NoError(t, sb.Join([]string{"node-00:7946"}))
		}
		sbs = append(sbs, sb)
	}
	return sbs
}

// waitRounds waits until every node has run at least n more gossip rounds.
func waitRounds(t *testing.T, sbs []*scuttlebutt.Scuttlebutt, n uint64) {
	t.Helper()
	start := make([]uint64, len(sbs))
	for i, sb := range sbs {
		start[i] = sb.Stats().Rounds
	}
	require.Eventually(t, func() bool {
		for i, sb := range sbs {
			if sb.Stats().Rounds < start[i]+n {
				return false
			}
		}
		return true
	}, 10*time.Second, 5*time.Millisecond)
}

// The rotation recipe of the README, on a running cluster: no datagram is
// rejected and no node is ever reported dead. A node holding only the
// retired key then cannot join.
func TestKeyRotationOnRunningCluster(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(21)
	recs := make([]*recorder, 5)
	for i := range recs {
		recs[i] = &recorder{}
	}
	sbs := keyedCluster(t, net, 5, oldKey, recs)
	require.Eventually(t, allSeeAll(sbs), 10*time.Second, 10*time.Millisecond)

	for _, sb := range sbs { // 1. install the new key everywhere
		require.NoError(t, sb.Keyring().AddKey(newKey))
	}
	waitRounds(t, sbs, 3)
	for _, sb := range sbs { // 2. seal with it everywhere
		require.NoError(t, sb.Keyring().UseKey(newKey))
		waitRounds(t, sbs[:1], 1) // nodes switch at different times
	}
	waitRounds(t, sbs, 3)
	for _, sb := range sbs { // 3. retire the old key everywhere
		require.NoError(t, sb.Keyring().RemoveKey(oldKey))
	}
	waitRounds(t, sbs, 5)

	require.NoError(t, sbs[3].Set("after", "rotation"))
	require.Eventually(t, func() bool {
		for _, sb := range sbs {
			if v, _ := sb.Get("node-03", "after"); v != "rotation" {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
	for i, sb := range sbs {
		require.Equal(t, [][]byte{newKey}, sb.Keyring().Keys())
		require.Len(t, sb.LiveNodes(), 4)
		require.Zero(t, sb.Stats().DroppedAuth, "node %d rejected datagrams during the rotation", i)
		for j := range sbs {
			require.NotContains(t, recs[i].of(fmt.Sprintf("node-%02d", j)), scuttlebutt.NodeDead)
		}
	}

	// A node with the retired key never joins and is never seen live.
	tr, err := net.NewTransport("intruder:7946")
	require.NoError(t, err)
	cfg := fastConfig("intruder")
	cfg.Transport = tr
	cfg.SecretKey = oldKey
	intruder, err := scuttlebutt.NewScuttlebutt(cfg, nil)
	require.NoError(t, err)
	defer intruder.Shutdown()
	authBefore := sbs[0].Stats().DroppedAuth
	require.ErrorIs(t, intruder.Join([]string{"node-00:7946"}), scuttlebutt.ErrAuthFailed)
	require.Greater(t, sbs[0].Stats().DroppedAuth, authBefore, "the intruder's datagrams are counted")
	require.Empty(t, intruder.LiveNodes())
	require.Positive(t, intruder.Stats().PacketsSent)
	for i, sb := range sbs {
		require.NotContains(t, ids(sb.LiveNodes()), "intruder")
		require.Empty(t, recs[i].of("intruder"), "node %d saw the intruder", i)
		_, known := sb.NodeState("intruder")
		require.False(t, known)
	}
}

// A node without any key and a node with a different key cannot talk to an
// encrypted cluster, nor it to them.
func TestMismatchedEncryptionNeverJoins(t *testing.T) {
	for name, key := range map[string][]byte{"no key": nil, "other key": newKey} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			net := scuttlebutt.NewMemNetwork(22)
			recs := []*recorder{{}, {}}
			sbs := keyedCluster(t, net, 2, oldKey, recs)
			require.Eventually(t, allSeeAll(sbs), 10*time.Second, 10*time.Millisecond)
			tr, err := net.NewTransport("x:7946")
			require.NoError(t, err)
			cfg := fastConfig("x")
			cfg.Transport = tr
			cfg.SecretKey = key
			x, err := scuttlebutt.NewScuttlebutt(cfg, nil)
			require.NoError(t, err)
			defer x.Shutdown()
			if key == nil {
				require.Nil(t, x.Keyring())
			}
			err = x.Join([]string{"node-00:7946"})
			require.ErrorIs(t, err, scuttlebutt.ErrAuthFailed)
			require.NotErrorIs(t, err, scuttlebutt.ErrJoinTimeout, "the seed's answer ends the join at once")
			require.Positive(t, sbs[0].Stats().DroppedAuth)
			require.Positive(t, x.Stats().DroppedAuth, "the seed's answer does not open either")
			require.Empty(t, x.LiveNodes())
			for i, sb := range sbs {
				require.NotContains(t, ids(sb.LiveNodes()), "x")
				require.Empty(t, recs[i].of("x"))
			}
		})
	}
}

// An event channel nobody reads does not delay heartbeats: with 15 ms
// rounds, 3 s stand for 200 rounds, over three minutes at the default
// interval; throughout, the peers' suspicion of the stuck node stays low and
// nobody reports it dead, while events about it and others pile up.
func TestUnreadEventChannelDoesNotDelayHeartbeats(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(23)
	stuck := make(chan scuttlebutt.NodeEvent) // never read
	recs := []*recorder{nil, {}, {}, {}}
	var sbs []*scuttlebutt.Scuttlebutt
	for i := range 4 {
		id := fmt.Sprintf("s%d", i)
		tr, err := net.NewTransport(id + ":1")
		require.NoError(t, err)
		c := fastConfig(id)
		c.GossipInterval = 15 * time.Millisecond
		c.Transport = tr
		c.SecretKey = oldKey
		if i == 0 {
			c.Events = &scuttlebutt.ChannelEvent{Ch: stuck}
		} else {
			c.Events = recs[i]
		}
		sb, err := scuttlebutt.NewScuttlebutt(c, nil)
		require.NoError(t, err)
		defer sb.Shutdown()
		if i > 0 {
			require.NoError(t, sb.Join([]string{"s0:1"}))
		}
		sbs = append(sbs, sb)
	}
	require.Eventually(t, allSeeAll(sbs), 10*time.Second, 10*time.Millisecond)
	start := sbs[0].Stats().Rounds
	// 150 rounds (over two minutes at the default interval) of writes
	// piling up behind the unread channel; the deadline only turns a
	// stalled node into a failure instead of a hang.
	deadline := time.Now().Add(60 * time.Second)
	maxPhi := 0.0
	for i := 0; sbs[0].Stats().Rounds < start+150; i++ {
		require.True(t, time.Now().Before(deadline), "the stuck node stopped gossiping")
		require.NoError(t, sbs[1+i%3].Set("tick", fmt.Sprint(i)))
		for _, sb := range sbs[1:] {
			maxPhi = max(maxPhi, sb.Stats().Phi["s0"])
		}
		time.Sleep(5 * time.Millisecond) // pacing the writes, not synchronising
	}
	t.Logf("%d rounds with an unread event channel; highest phi of the stuck node %.2f", sbs[0].Stats().Rounds-start, maxPhi)
	require.Less(t, maxPhi, scuttlebutt.FailureDetectorDefaultConfig().PhiThreshold/2)
	for _, r := range recs[1:] {
		require.NotContains(t, r.of("s0"), scuttlebutt.NodeDead)
	}
	require.Len(t, sbs[0].LiveNodes(), 3)
}

// Garbage aimed at a node is counted and does not disturb gossip.
func TestHostileTrafficIsCountedAndGossipGoesOn(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(24)
	recs := []*recorder{{}, {}, {}}
	sbs := keyedCluster(t, net, 3, oldKey, recs)
	require.Eventually(t, allSeeAll(sbs), 10*time.Second, 10*time.Millisecond)
	attacker, err := net.NewTransport("attacker:666")
	require.NoError(t, err)
	defer attacker.Close()
	valid := []byte{0xB5, 2, 1, 2, 7, 'd', 'e', 'f', 'a', 'u', 'l', 't'} // a header, encrypted flag
	junk := [][]byte{
		{},
		bytes.Repeat([]byte{0xff}, 2000),      // oversize
		valid[:4],                             // truncated
		append([]byte{0xB5, 9}, valid[2:]...), // wrong version
		append(bytes.Clone(valid), make([]byte, 40)...),                 // fails authentication
		append([]byte{0xB5, 2, 1, 0, 5, 'o', 't', 'h', 'e', 'r'}, 0x92), // another cluster
		[]byte("GET / HTTP/1.1\r\n\r\n"),
	}
	for range 50 {
		for _, j := range junk {
			require.NoError(t, attacker.WriteTo(j, "node-00:7946"))
		}
	}
	require.NoError(t, sbs[2].Set("still", "gossiping"))
	require.Eventually(t, func() bool {
		v, _ := sbs[0].Get("node-02", "still")
		s := sbs[0].Stats()
		return v == "gossiping" && s.DroppedMalformed >= 200 && s.DroppedOversize >= 50 &&
			s.DroppedAuth >= 50 && s.DroppedClusterMismatch >= 50
	}, 10*time.Second, 10*time.Millisecond)
	require.Len(t, sbs[0].LiveNodes(), 2)
	for _, r := range recs {
		for _, id := range []string{"node-00", "node-01", "node-02"} {
			require.NotContains(t, r.of(id), scuttlebutt.NodeDead)
		}
	}
}

func TestStatsAndExpvar(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(25)
	sbs := memCluster(t, net, 3, nil)
	require.Eventually(t, allSeeAll(sbs), 10*time.Second, 10*time.Millisecond)
	waitRounds(t, sbs[:1], 1) // joins can converge before the first round
	s := sbs[0].Stats()
	require.Positive(t, s.PacketsSent)
	require.Positive(t, s.PacketsReceived)
	require.Positive(t, s.BytesSent)
	require.Positive(t, s.BytesReceived)
	require.Positive(t, s.Rounds)
	require.Len(t, s.Phi, 2)
	require.Contains(t, s.Phi, "node-01")
	require.Nil(t, sbs[0].Keyring(), "no encryption, no keyring")

	name := fmt.Sprintf("scuttlebutt-test-%d", time.Now().UnixNano())
	require.NoError(t, sbs[0].PublishExpvar(name))
	require.Error(t, sbs[1].PublishExpvar(name), "a duplicate name is an error, not a panic")
	var got scuttlebutt.Stats
	require.NoError(t, json.Unmarshal([]byte(expvar.Get(name).String()), &got))
	require.Positive(t, got.PacketsSent)
	require.Contains(t, got.Phi, "node-02")
	// Each read is a fresh snapshot.
	waitRounds(t, sbs[:1], 2)
	var later scuttlebutt.Stats
	require.NoError(t, json.Unmarshal([]byte(expvar.Get(name).String()), &later))
	require.Greater(t, later.Rounds, got.Rounds)

	expvar.NewInt(name + "-taken")
	require.Error(t, sbs[0].PublishExpvar(name+"-taken"))
	require.True(t, slices.Contains(ids(sbs[1].LiveNodes()), "node-00"))
}

func TestEncryptionConfigValidation(t *testing.T) {
	for _, n := range []int{1, 15, 17, 31, 33, 64} {
		cfg := fastConfig("a")
		cfg.SecretKey = make([]byte, n)
		_, err := scuttlebutt.NewScuttlebutt(cfg, nil)
		require.ErrorIs(t, err, scuttlebutt.ErrInvalidConfig, "%d-byte key", n)
	}
	cfg := fastConfig("a")
	cfg.Keyring = &scuttlebutt.Keyring{}
	_, err := scuttlebutt.NewScuttlebutt(cfg, nil)
	require.ErrorIs(t, err, scuttlebutt.ErrInvalidConfig, "an empty keyring")

	// SecretKey and Keyring: the key becomes the keyring's primary.
	k, err := scuttlebutt.NewKeyring(nil, oldKey)
	require.NoError(t, err)
	net := scuttlebutt.NewMemNetwork(26)
	tr, err := net.NewTransport("a:1")
	require.NoError(t, err)
	cfg = fastConfig("a")
	cfg.Transport = tr
	cfg.Keyring = k
	cfg.SecretKey = newKey
	sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
	require.NoError(t, err)
	defer sb.Shutdown()
	require.Same(t, k, sb.Keyring())
	require.Equal(t, [][]byte{newKey, oldKey}, k.Keys())
}

// A constructor that fails changes nothing the caller can see: the keyring
// keeps its keys and primary, and a transport the caller gave stays open.
func TestFailedConstructorChangesNothing(t *testing.T) {
	k, err := scuttlebutt.NewKeyring(nil, oldKey)
	require.NoError(t, err)
	net := scuttlebutt.NewMemNetwork(27)
	tr, err := net.NewTransport("a:1")
	require.NoError(t, err)
	cfg := fastConfig("a")
	cfg.Transport = tr
	cfg.Keyring = k
	cfg.SecretKey = newKey
	_, err = scuttlebutt.NewScuttlebutt(cfg, map[string]string{"big": string(make([]byte, 2000))})
	require.ErrorIs(t, err, scuttlebutt.ErrTooLarge)
	require.Equal(t, [][]byte{oldKey}, k.Keys(), "the keyring is unchanged")
	require.Equal(t, oldKey, k.PrimaryKey())

	// The transport is still usable: a node starts on it.
	cfg.SecretKey = nil
	sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
	require.NoError(t, err)
	require.NoError(t, sb.Shutdown())

	// Error messages say "scuttlebutt:" once.
	for _, bad := range []*scuttlebutt.Config{
		{Node: scuttlebutt.Node{ID: "x"}, GossipInterval: time.Second, ListenAddr: "256.1.1.1:1"},
		{Node: scuttlebutt.Node{ID: "x"}, GossipInterval: time.Second, ListenAddr: "127.0.0.1:0", MaxPacketSize: 10},
	} {
		_, err := scuttlebutt.NewScuttlebutt(bad, map[string]string{"big": string(make([]byte, 2000))})
		require.Error(t, err)
		require.Equal(t, 1, strings.Count(err.Error(), "scuttlebutt:"), "%q", err)
	}
	_, err = scuttlebutt.NewScuttlebutt(fastConfig("a"), map[string]string{"big": string(make([]byte, 2000))})
	require.Equal(t, 1, strings.Count(err.Error(), "scuttlebutt:"), "%q", err)
}

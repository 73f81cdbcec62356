package scuttlebutt_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

// An empty ClusterID is the default cluster's: such a node joins a node
// configured with "default".
func TestEmptyClusterIDIsTheDefault(t *testing.T) {
	net := scuttlebutt.NewMemNetwork(73)
	start := func(id, cluster string) *scuttlebutt.Scuttlebutt {
		tr, err := net.NewTransport(id + ":1")
		require.NoError(t, err)
		cfg := fastConfig(id)
		cfg.Transport = tr
		cfg.ClusterID = cluster
		sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = sb.Shutdown() })
		return sb
	}
	a, b := start("a", ""), start("b", scuttlebutt.DefaultClusterID)
	require.Equal(t, "default", scuttlebutt.DefaultClusterID)
	require.NoError(t, a.Join([]string{"b:1"}))
	require.Eventually(t, allSeeAll([]*scuttlebutt.Scuttlebutt{a, b}), 10*time.Second, 5*time.Millisecond)
	c := start("c", "other")
	require.ErrorIs(t, c.Join([]string{"a:1"}), scuttlebutt.ErrClusterMismatch)
}

// An address NewUDPTransport cannot use is a configuration error; one it
// cannot bind is not.
func TestUDPTransportAddressErrors(t *testing.T) {
	_, err := scuttlebutt.NewUDPTransport("foo")
	require.ErrorIs(t, err, scuttlebutt.ErrInvalidConfig)
	u, err := scuttlebutt.NewUDPTransport("127.0.0.1:0")
	require.NoError(t, err)
	defer u.Close()
	_, err = scuttlebutt.NewUDPTransport(u.LocalAddr())
	require.Error(t, err)
	require.NotErrorIs(t, err, scuttlebutt.ErrInvalidConfig)
}

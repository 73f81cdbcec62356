package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"testing"

	"github.com/scuttlego/scuttlebutt/examples/counter/pncounter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConcurrentIncrementsMerge(t *testing.T) {
	nodes := startTestCluster(t, testOptions(), 3)
	keys := []string{"a", "b"}
	const writers, each = 2, 25
	// Each node's own totals, by key, as the increments made there add up.
	var mu sync.Mutex
	own := map[string]map[string]int64{}
	var errs []error
	for _, n := range nodes {
		own[n.id] = map[string]int64{} // before any writer reads own
	}
	var wg sync.WaitGroup
	for i, n := range nodes {
		for w := range writers {
			wg.Go(func() {
				for j := range each {
					key := keys[(i+w+j)%len(keys)]
					delta := int64((i*7+w*3+j)%11 - 5) // -5 to 5
					_, err := tryInc(n, key, delta)
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					} else {
						own[n.id][key] += delta
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	require.Empty(t, errs)
	want := map[string]int64{}
	for _, n := range nodes {
		for _, key := range keys {
			want[key] += own[n.id][key]
			// No increment of the node's two writers was lost.
			v, ok := n.sb.Get(n.id, pncounter.Key(key))
			require.True(t, ok)
			require.Equal(t, pncounter.FormatTotal(own[n.id][key]), v, "%s's total of %s", n.id, key)
		}
	}
	for _, key := range keys {
		eventuallyAll(t, nodes, key, want[key])
	}
}

func TestRestartWithStateFileKeepsTheNodesTotal(t *testing.T) {
	opts := testOptions()
	nodes := startTestCluster(t, opts, 2)
	path := filepath.Join(t.TempDir(), "node-3.json")
	c := startTestNode(t, opts, "node-3", path, nodes[0])
	inc(t, nodes[0], "hits", 1)
	inc(t, c, "hits", 3)
	require.Equal(t, int64(7), inc(t, c, "hits", 4))
	eventuallyAll(t, append(nodes, c), "hits", 8)
	old, _ := c.sb.NodeVersion(c.id)

	// A crash, then a restart with the same ID and file.
	require.NoError(t, c.kill())
	c = startTestNode(t, opts, "node-3", path, nodes[0])
	restarted, _ := c.sb.NodeVersion(c.id)
	require.NotEqual(t, old.Generation, restarted.Generation)
	v, _ := c.sb.Get(c.id, pncounter.Key("hits"))
	require.Equal(t, "7", v, "the restarted node publishes its saved total")
	all := append(nodes, c)
	for _, n := range nodes {
		require.EventuallyWithT(t, func(col *assert.CollectT) {
			v, ok := n.sb.NodeVersion(c.id)
			assert.True(col, ok)
			assert.Equal(col, restarted.Generation, v.Generation, "%s holds the new incarnation", n.id)
		}, deadline, tick)
	}
	eventuallyAll(t, all, "hits", 8)
	require.Equal(t, int64(8), inc(t, c, "hits", 1), "the total continues from the saved one")
	eventuallyAll(t, all, "hits", 9)
}

func TestRestartWithoutStateFileResetsTheNodesTotal(t *testing.T) {
	opts := testOptions()
	nodes := startTestCluster(t, opts, 2)
	c := startTestNode(t, opts, "node-3", "", nodes[0])
	inc(t, nodes[0], "hits", 1)
	inc(t, nodes[1], "hits", 2)
	inc(t, c, "hits", 5)
	eventuallyAll(t, append(nodes, c), "hits", 8)

	require.NoError(t, c.kill())
	c = startTestNode(t, opts, "node-3", "", nodes[0])
	restarted, _ := c.sb.NodeVersion(c.id)
	for _, n := range nodes {
		require.EventuallyWithT(t, func(col *assert.CollectT) {
			v, ok := n.sb.NodeVersion(c.id)
			assert.True(col, ok)
			assert.Equal(col, restarted.Generation, v.Generation, "%s holds the new incarnation", n.id)
		}, deadline, tick)
	}
	// The new incarnation holds no total, and its state replaced the old
	// one everywhere: node-3's 5 is gone.
	eventuallyAll(t, append(nodes, c), "hits", 3)
	for _, n := range nodes {
		r := queryOnce(t, n, "hits")
		require.Equal(t, 3, r.Nodes)
		require.Equal(t, 2, r.Entries)
	}
}

func TestDeleteWithdrawsTheLocalTotal(t *testing.T) {
	nodes := startTestCluster(t, testOptions(), 3)
	a, b, c := nodes[0], nodes[1], nodes[2]
	inc(t, a, "hits", 5)
	inc(t, b, "hits", 3)
	inc(t, c, "hits", -1)
	eventuallyAll(t, nodes, "hits", 7)

	status, _, body := do(t, b, http.MethodDelete, "/counter", url.Values{"key": {"hits"}})
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.JSONEq(t, `{"key":"hits","node":"node-2","removed":3}`, string(body))
	// Only b's contribution goes; a's and c's stay.
	eventuallyAll(t, nodes, "hits", 4)
	for _, n := range nodes {
		_, ok := n.sb.Get(b.id, pncounter.Key("hits"))
		require.False(t, ok, "%s holds no total of b any more", n.id)
		require.Equal(t, 2, queryOnce(t, n, "hits").Entries)
	}
	status, _, body = do(t, b, http.MethodDelete, "/counter", url.Values{"key": {"hits"}})
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"key":"hits","node":"node-2","removed":0}`, string(body), "deleting again is a no-op")

	// b's next increment starts from 0.
	require.Equal(t, int64(2), inc(t, b, "hits", 2))
	eventuallyAll(t, nodes, "hits", 6)
}

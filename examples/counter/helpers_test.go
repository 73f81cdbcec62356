package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/scuttlego/scuttlebutt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deadline bounds every wait of the tests; tick is how often they poll.
const (
	deadline = 10 * time.Second
	tick     = 20 * time.Millisecond
)

// testOptions runs nodes on free loopback ports with 100 ms rounds and a
// failure detector that convicts a silent node within about two seconds.
func testOptions() options {
	o := defaultOptions()
	o.interval = 100 * time.Millisecond
	o.cluster = "counter-test"
	o.gossipBase, o.httpBase = 0, 0
	o.listen, o.http = "127.0.0.1:0", "127.0.0.1:0"
	o.configure = func(c *scuttlebutt.Config) {
		c.FailureDetectorConfig.AcceptableHeartbeatPause = time.Second
	}
	return o
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testPrinter discards what nodes print.
func testPrinter() *printer { return newPrinter(io.Discard) }

// startTestCluster starts n nodes, node-1 to node-n, waits until each
// holds every other as live, and stops them all at the end of the test.
// (A peer still pending somewhere when it crashes is never convicted
// there, only dropped after DeadNodeGracePeriod.)
func startTestCluster(t *testing.T, opts options, n int) []*node {
	t.Helper()
	opts.nodes = n
	nodes, err := startCluster(opts, testPrinter())
	require.NoError(t, err)
	for _, nd := range nodes {
		t.Cleanup(func() { _ = nd.kill() })
	}
	for _, nd := range nodes {
		require.Eventually(t, func() bool { return len(nd.sb.LiveNodes()) == n-1 }, deadline, tick, "%s never saw every peer live", nd.id)
	}
	return nodes
}

// startTestNode starts one more node, joins it to seed and stops it at the
// end of the test.
func startTestNode(t *testing.T, opts options, id, state string, seed *node) *node {
	t.Helper()
	n, err := startNode(opts, nodeConfig{id: id, listen: "127.0.0.1:0", http: "127.0.0.1:0", state: state}, testPrinter())
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.kill() })
	require.NoError(t, n.sb.Join([]string{seed.sb.LocalNode().GossipPublicAddress}))
	return n
}

var client = &http.Client{Timeout: deadline}

// do sends a request to n's API and returns the status, the Content-Type
// and the body.
func do(t require.TestingT, n *node, method, path string, params url.Values) (int, string, []byte) {
	helper(t)
	req, err := http.NewRequest(method, n.url+path+"?"+params.Encode(), nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// inc adds delta to n's total of key through the API and returns the new
// total.
func inc(t require.TestingT, n *node, key string, delta int64) int64 {
	helper(t)
	total, err := tryInc(n, key, delta)
	require.NoError(t, err)
	return total
}

// tryInc is inc for goroutines other than the test's: it returns what went
// wrong instead of failing the test.
func tryInc(n *node, key string, delta int64) (int64, error) {
	resp, err := client.PostForm(n.url+"/inc?"+url.Values{"key": {key}, "delta": {fmt.Sprint(delta)}}.Encode(), nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("inc %s %+d at %s: %s: %s", key, delta, n.id, resp.Status, body)
	}
	var r incResult
	if err := json.Unmarshal(body, &r); err != nil {
		return 0, err
	}
	if want := (incResult{Key: key, Node: n.id, Delta: delta, NodeTotal: r.NodeTotal}); r != want {
		return 0, fmt.Errorf("inc %s %+d at %s answered %+v", key, delta, n.id, r)
	}
	return r.NodeTotal, nil
}

// queryOnce reads key at n through GET /query?once=1.
func queryOnce(t require.TestingT, n *node, key string) queryResult {
	helper(t)
	status, _, body := do(t, n, http.MethodGet, "/query", url.Values{"key": {key}, "once": {"1"}})
	require.Equal(t, http.StatusOK, status, "%s", body)
	var r queryResult
	require.NoError(t, json.Unmarshal(body, &r))
	return r
}

// queryStream reads a streaming GET /query of key at n to its end.
func queryStream(t *testing.T, n *node, key string) (contentType string, lines []queryResult) {
	t.Helper()
	resp, err := client.Get(n.url + "/query?" + url.Values{"key": {key}}.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var r queryResult
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "line %q", sc.Text())
		lines = append(lines, r)
	}
	require.NoError(t, sc.Err(), "the stream ends by itself, before the client's timeout")
	return resp.Header.Get("Content-Type"), lines
}

// eventuallyAll waits until every node's reading of key is complete and
// equals want.
func eventuallyAll(t *testing.T, nodes []*node, key string, want int64) {
	t.Helper()
	for _, n := range nodes {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			r := queryOnce(c, n, key)
			assert.True(c, r.Complete, "%+v", r)
			assert.Equal(c, want, r.Value, "%+v", r)
		}, deadline, tick, "%s never read %s = %d completely", n.id, key, want)
	}
}

// helper marks the caller as a test helper when t is a *testing.T.
func helper(t require.TestingT) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
}

// isDead reports whether n holds peer id as dead.
func isDead(n *node, id string) bool {
	for _, d := range n.sb.DeadNodes() {
		if d.ID == id {
			return true
		}
	}
	return false
}

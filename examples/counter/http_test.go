package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQueriesConvergeToTheExactSumEverywhere(t *testing.T) {
	nodes := startTestCluster(t, testOptions(), 3)
	require.Equal(t, int64(5), inc(t, nodes[0], "hits", 5))
	require.Equal(t, int64(-3), inc(t, nodes[1], "hits", -3))
	require.Equal(t, int64(10), inc(t, nodes[2], "hits", 10))
	require.Equal(t, int64(4), inc(t, nodes[0], "hits", -1))
	inc(t, nodes[1], "other", 2)
	eventuallyAll(t, nodes, "hits", 11)
	eventuallyAll(t, nodes, "other", 2)
	for _, n := range nodes {
		r := queryOnce(t, n, "hits")
		require.Equal(t, 3, r.Nodes)
		require.Equal(t, 3, r.Entries)
		require.Empty(t, r.Unconfirmed)
		r = queryOnce(t, n, "never-written")
		require.Equal(t, int64(0), r.Value)
		require.Equal(t, 0, r.Entries)
	}
}

func TestQueryOnceAnswersOneJSONObject(t *testing.T) {
	nodes := startTestCluster(t, testOptions(), 2)
	inc(t, nodes[0], "hits", 7)
	eventuallyAll(t, nodes, "hits", 7)
	status, ctype, body := do(t, nodes[1], http.MethodGet, "/query", url.Values{"key": {"hits"}, "once": {"1"}})
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "application/json", ctype)
	require.Equal(t, 1, strings.Count(strings.TrimSpace(string(body)), "\n")+1, "one line: %s", body)
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	require.Equal(t, []string{"complete", "entries", "key", "node", "nodes", "settled", "unchanged_rounds", "unconfirmed", "value"}, keys)
	require.Equal(t, "hits", m["key"])
	require.Equal(t, "node-2", m["node"])
	require.Equal(t, 7.0, m["value"])
	require.Equal(t, true, m["complete"])
	require.Equal(t, 2.0, m["nodes"])
	require.Equal(t, 1.0, m["entries"])
	require.Equal(t, []any{}, m["unconfirmed"])
	require.IsType(t, 0.0, m["unchanged_rounds"])
	require.IsType(t, true, m["settled"])

	// The node samples every counter it holds once per round, so a
	// reading that stays the same becomes settled without any stream.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		r := queryOnce(c, nodes[1], "hits")
		assert.True(c, r.Settled, "%+v", r)
		assert.GreaterOrEqual(c, r.UnchangedRounds, testOptions().settle, "%+v", r)
	}, deadline, tick)
}

func TestStreamingQueryEndsOnceSettled(t *testing.T) {
	opts := testOptions()
	nodes := startTestCluster(t, opts, 3)
	inc(t, nodes[0], "hits", 4)
	eventuallyAll(t, nodes, "hits", 4)
	// A write just before the query, at another node.
	inc(t, nodes[2], "hits", -9)
	ctype, lines := queryStream(t, nodes[1], "hits")
	require.Equal(t, "application/x-ndjson", ctype)
	require.GreaterOrEqual(t, len(lines), opts.settle+1, "a stream watches for at least -settle rounds: %+v", lines)
	require.Equal(t, 0, lines[0].UnchangedRounds, "a stream counts from its first line")
	for i, l := range lines {
		require.Equal(t, "hits", l.Key)
		require.Equal(t, "node-2", l.Node)
		require.Equal(t, i == len(lines)-1, l.Settled, "only the last line is settled: %+v", lines)
		if i > 0 && l.Value == lines[i-1].Value && l.Complete == lines[i-1].Complete {
			require.Equal(t, lines[i-1].UnchangedRounds+1, l.UnchangedRounds, "%+v", lines)
		} else if i > 0 {
			require.Equal(t, 0, l.UnchangedRounds, "%+v", lines)
		}
	}
	last := lines[len(lines)-1]
	require.True(t, last.Complete)
	require.Equal(t, 3, last.Nodes)
	require.Equal(t, opts.settle, last.UnchangedRounds)
	require.Equal(t, int64(-5), last.Value, "settled on the exact sum")
}

func TestStreamingQueryEndsWhenTheNodeLeaves(t *testing.T) {
	nodes := startTestCluster(t, testOptions(), 1)
	n := nodes[0]
	// No settling while the value keeps changing: the stream ends because
	// the node stops.
	stop := make(chan struct{})
	writes := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				writes <- nil
				return
			default:
			}
			if _, err := n.counter.inc("busy", 1); err != nil {
				writes <- err
				return
			}
		}
	}()
	resp, err := client.Get(n.url + "/query?key=busy")
	require.NoError(t, err)
	defer resp.Body.Close()
	var first queryResult
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&first))
	close(stop)
	require.NoError(t, <-writes)
	require.NoError(t, n.leave(testPrinter()))
	_, err = io.ReadAll(resp.Body)
	require.NoError(t, err, "the stream ends cleanly when the node stops")
}

func TestRequestErrors(t *testing.T) {
	nodes := startTestCluster(t, testOptions(), 1)
	n := nodes[0]
	long := strings.Repeat("k", 300)
	for _, tc := range []struct {
		method, path string
		params       url.Values
		status       int
		allow        string
	}{
		{http.MethodPost, "/inc", url.Values{"delta": {"1"}}, http.StatusBadRequest, ""},
		{http.MethodPost, "/inc", url.Values{"key": {""}, "delta": {"1"}}, http.StatusBadRequest, ""},
		{http.MethodPost, "/inc", url.Values{"key": {"k"}, "delta": {"x"}}, http.StatusBadRequest, ""},
		{http.MethodPost, "/inc", url.Values{"key": {"k"}, "delta": {"1.5"}}, http.StatusBadRequest, ""},
		{http.MethodPost, "/inc", url.Values{"key": {"k"}, "delta": {""}}, http.StatusBadRequest, ""},
		{http.MethodPost, "/inc", url.Values{"key": {"k"}, "delta": {"9223372036854775808"}}, http.StatusBadRequest, ""},
		{http.MethodPost, "/inc", url.Values{"key": {long}, "delta": {"1"}}, http.StatusBadRequest, ""},
		{http.MethodGet, "/query", url.Values{}, http.StatusBadRequest, ""},
		{http.MethodGet, "/query", url.Values{"key": {"k"}, "once": {"maybe"}}, http.StatusBadRequest, ""},
		{http.MethodDelete, "/counter", url.Values{}, http.StatusBadRequest, ""},
		{http.MethodGet, "/inc", url.Values{"key": {"k"}}, http.StatusMethodNotAllowed, "POST"},
		{http.MethodPut, "/inc", url.Values{"key": {"k"}}, http.StatusMethodNotAllowed, "POST"},
		{http.MethodPost, "/query", url.Values{"key": {"k"}}, http.StatusMethodNotAllowed, "GET"},
		{http.MethodDelete, "/query", url.Values{"key": {"k"}}, http.StatusMethodNotAllowed, "GET"},
		{http.MethodGet, "/counter", url.Values{"key": {"k"}}, http.StatusMethodNotAllowed, "DELETE"},
	} {
		t.Run(fmt.Sprintf("%s %s?%s", tc.method, tc.path, tc.params.Encode()), func(t *testing.T) {
			req, err := http.NewRequest(tc.method, n.url+tc.path+"?"+tc.params.Encode(), nil)
			require.NoError(t, err)
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
			require.Equal(t, tc.allow, resp.Header.Get("Allow"))
			require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var e errorResult
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
			require.NotEmpty(t, e.Error)
		})
	}
	// Nothing was written by the refused requests.
	r := queryOnce(t, n, "k")
	require.Equal(t, 0, r.Entries)

	// delta defaults to 1.
	status, _, body := do(t, n, http.MethodPost, "/inc", url.Values{"key": {"k"}})
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.JSONEq(t, `{"key":"k","node":"node-1","delta":1,"node_total":1}`, string(body))

	// An overflow answers 409 and leaves the total as it was.
	inc(t, n, "big", math.MaxInt64)
	status, _, body = do(t, n, http.MethodPost, "/inc", url.Values{"key": {"big"}, "delta": {"1"}})
	require.Equal(t, http.StatusConflict, status, "%s", body)
	require.Contains(t, string(body), "overflow")
	require.Equal(t, int64(math.MaxInt64-1), inc(t, n, "big", -1))
	inc(t, n, "low", math.MinInt64)
	status, _, _ = do(t, n, http.MethodPost, "/inc", url.Values{"key": {"low"}, "delta": {"-1"}})
	require.Equal(t, http.StatusConflict, status)
}

func TestKilledNodeCountsUntilCollected(t *testing.T) {
	opts := testOptions()
	opts.deadGrace = 3 * time.Second
	nodes := startTestCluster(t, opts, 3)
	a, b, c := nodes[0], nodes[1], nodes[2]
	inc(t, a, "hits", 1)
	inc(t, b, "hits", 2)
	inc(t, c, "hits", 40)
	eventuallyAll(t, nodes, "hits", 43)
	// Every survivor holds c's latest total before c crashes.
	require.NoError(t, c.kill())

	// Both survivors at once: each drops c DeadNodeGracePeriod after it
	// convicted it.
	survivors := []*node{a, b}
	require.EventuallyWithT(t, func(col *assert.CollectT) {
		for _, n := range survivors {
			assert.True(col, isDead(n, c.id), "%s holds %s as dead", n.id, c.id)
			r := queryOnce(col, n, "hits")
			assert.Equal(col, int64(43), r.Value, "a dead node's total counts: %+v", r)
			assert.True(col, r.Complete, "%+v", r)
			assert.Equal(col, 3, r.Nodes, "%+v", r)
			// c was still held as dead after the query was answered.
			assert.True(col, isDead(n, c.id))
		}
	}, deadline, tick)
	for _, n := range survivors {
		require.EventuallyWithT(t, func(col *assert.CollectT) {
			_, held := n.sb.NodeVersion(c.id)
			assert.False(col, held, "%s collected %s", n.id, c.id)
			r := queryOnce(col, n, "hits")
			assert.Equal(col, int64(3), r.Value, "a collected node's total is gone: %+v", r)
			assert.True(col, r.Complete, "%+v", r)
			assert.Equal(col, 2, r.Nodes, "%+v", r)
		}, deadline, tick)
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/stretchr/testify/require"
)

func TestHTTPReadEndpoints(t *testing.T) {
	ring := startRing(t, []string{"a", "b", "c"}, "-set", "role=web")
	a := ring[0]

	// Phi is for the peers this node observes (in a ring of three, both
	// others), once their first heartbeats came.
	var members []memberJSON
	require.Eventually(t, func() bool {
		members = nil
		getJSON(t, a.url("/v1/members"), &members)
		return len(members) == 3 && members[1].Phi != nil && members[2].Phi != nil
	}, 10*time.Second, 20*time.Millisecond)
	for i, id := range []string{"a", "b", "c"} {
		m := members[i]
		require.Equal(t, id, m.ID)
		require.Equal(t, statusLive, m.Status)
		require.Equal(t, id == "a", m.Self)
		require.Equal(t, ring[i].gossipAddr(), m.Address)
		require.NotZero(t, m.Generation)
		require.Equal(t, id != "a", m.Phi != nil, "phi is for observed peers")
	}

	require.Eventually(t, func() bool {
		var state map[string]map[string]string
		getJSON(t, a.url("/v1/state"), &state)
		return len(state) == 3 && state["b"]["role"] == "web" && state["c"]["role"] == "web"
	}, 10*time.Second, 20*time.Millisecond)

	var n nodeJSON
	getJSON(t, a.url("/v1/nodes/b"), &n)
	require.Equal(t, "b", n.ID)
	require.Equal(t, statusLive, n.Status)
	require.Equal(t, map[string]string{"role": "web"}, n.Keys)

	var k keyJSON
	getJSON(t, a.url("/v1/nodes/b/keys/role"), &k)
	require.Equal(t, keyJSON{Node: "b", Key: "role", Value: "web"}, k)

	status, body := httpDo(t, http.MethodGet, a.url("/v1/nodes/nobody"), "")
	require.Equal(t, http.StatusNotFound, status)
	require.Contains(t, requireErrorJSON(t, body), "nobody")
	status, body = httpDo(t, http.MethodGet, a.url("/v1/nodes/b/keys/nokey"), "")
	require.Equal(t, http.StatusNotFound, status)
	requireErrorJSON(t, body)
	status, body = httpDo(t, http.MethodGet, a.url("/v1/nothing"), "")
	require.Equal(t, http.StatusNotFound, status)
	requireErrorJSON(t, body)
	status, body = httpDo(t, http.MethodPost, a.url("/v1/members"), "")
	require.Equal(t, http.StatusMethodNotAllowed, status)
	requireErrorJSON(t, body)

	var h healthJSON
	getJSON(t, a.url("/healthz"), &h)
	require.Equal(t, healthJSON{Status: "ok", Node: "a", Live: 2}, h)

	var st statsJSON
	require.Eventually(t, func() bool { // a join completes within the first round
		st = statsJSON{}
		getJSON(t, a.url("/v1/stats"), &st)
		return st.Rounds > 0
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, "a", st.Node)
	require.Equal(t, "default", st.Cluster)
	require.Equal(t, 2, st.Live)
	require.NotZero(t, st.PacketsSent)
	require.NotZero(t, st.Rounds)

	var vars map[string]json.RawMessage
	getJSON(t, a.url("/debug/vars"), &vars)
	require.Contains(t, vars, "memstats")
	var stats struct{ Rounds uint64 }
	require.NoError(t, json.Unmarshal(vars["scuttlebutt"], &stats))
	require.NotZero(t, stats.Rounds)

	require.Eventually(t, func() bool {
		var phi phiJSON
		getJSON(t, a.url("/v1/phi"), &phi)
		return len(phi.Peers["b"]) > 1 && len(phi.Peers["c"]) > 1
	}, 10*time.Second, 20*time.Millisecond)
	var phi phiJSON
	getJSON(t, a.url("/v1/phi"), &phi)
	last := int64(phi.Peers["b"][len(phi.Peers["b"])-1][0])
	var later phiJSON
	getJSON(t, a.url("/v1/phi?since="+strconv.FormatInt(last, 10)), &later)
	for _, s := range later.Peers["b"] {
		require.Greater(t, int64(s[0]), last)
	}
}

func TestHTTPMetricsLintClean(t *testing.T) {
	ring := startRing(t, []string{"a", "b"})
	var status int
	var body string
	require.Eventually(t, func() bool { // phi once b's first heartbeat came
		status, body = httpDo(t, http.MethodGet, ring[0].url("/metrics"), "")
		return strings.Contains(body, `scuttlebutt_peer_phi{peer="b"}`)
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, http.StatusOK, status)
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	require.NoError(t, err)
	require.Empty(t, problems)
	require.Contains(t, body, `scuttlebutt_members{status="live"} 1`)
	require.Contains(t, body, `scuttlebutt_peer_phi{peer="b"}`)
	require.Contains(t, body, "scuttlebutt_datagrams_sent_total")
	require.Contains(t, body, "go_goroutines")
}

func TestHTTPWritesNeedFlag(t *testing.T) {
	a := startTestAgent(t, "-id", "ro")
	for _, method := range []string{http.MethodPut, http.MethodDelete} {
		status, body := httpDo(t, method, a.url("/v1/keys/k"), "v")
		require.Equal(t, http.StatusForbidden, status, method)
		require.Contains(t, requireErrorJSON(t, body), "-http-write")
	}
	_, ok := a.sb.Get("ro", "k")
	require.False(t, ok)
}

func TestHTTPWrites(t *testing.T) {
	ring := startRing(t, []string{"a", "b"}, "-http-write")
	a, b := ring[0], ring[1]

	status, body := httpDo(t, http.MethodPut, a.url("/v1/keys/svc%2Fhttp"), "10.0.0.1:80")
	require.Equal(t, http.StatusOK, status, body)
	var k keyJSON
	require.NoError(t, json.Unmarshal([]byte(body), &k))
	require.Equal(t, keyJSON{Node: "a", Key: "svc/http", Value: "10.0.0.1:80"}, k)
	// A key may hold slashes, escaped or not.
	status, _ = httpDo(t, http.MethodPut, a.url("/v1/keys/lock/leader"), "a")
	require.Equal(t, http.StatusOK, status)
	require.Eventually(t, func() bool {
		v1, ok1 := b.sb.Get("a", "svc/http")
		v2, ok2 := b.sb.Get("a", "lock/leader")
		return ok1 && ok2 && v1 == "10.0.0.1:80" && v2 == "a"
	}, 10*time.Second, 10*time.Millisecond, "the keys did not reach b")

	status, body = httpDo(t, http.MethodPut, a.url("/v1/keys/lease?ttl=300ms"), "x")
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, `"ttl": "300ms"`)
	require.Eventually(t, func() bool { _, ok := b.sb.Get("a", "lease"); return ok }, 10*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool { _, ok := b.sb.Get("a", "lease"); return !ok }, 10*time.Second, 10*time.Millisecond, "the TTL did not expire")

	for _, bad := range []string{"?ttl=soon", "?ttl=-1s", "?ttl=0"} {
		status, body = httpDo(t, http.MethodPut, a.url("/v1/keys/k"+bad), "x")
		require.Equal(t, http.StatusBadRequest, status, bad)
		requireErrorJSON(t, body)
	}
	status, body = httpDo(t, http.MethodPut, a.url("/v1/keys/big"), strings.Repeat("x", 5000))
	require.Equal(t, http.StatusRequestEntityTooLarge, status)
	requireErrorJSON(t, body)
	status, body = httpDo(t, http.MethodPut, a.url("/v1/keys/"+strings.Repeat("k", 300)), "x")
	require.Equal(t, http.StatusBadRequest, status)
	requireErrorJSON(t, body)

	status, body = httpDo(t, http.MethodDelete, a.url("/v1/keys/svc%2Fhttp"), "")
	require.Equal(t, http.StatusOK, status, body)
	require.Eventually(t, func() bool { _, ok := b.sb.Get("a", "svc/http"); return !ok }, 10*time.Second, 10*time.Millisecond)
	status, body = httpDo(t, http.MethodDelete, a.url("/v1/keys/svc%2Fhttp"), "")
	require.Equal(t, http.StatusNotFound, status)
	requireErrorJSON(t, body)
	status, _ = httpDo(t, http.MethodGet, a.url("/v1/keys/k"), "")
	require.Equal(t, http.StatusMethodNotAllowed, status)
}

// sseReader reads an agent's event stream.
type sseReader struct {
	sc     *bufio.Scanner
	cancel func()
}

type sseEvent struct {
	id, name string
	data     eventJSON
}

func openEvents(t *testing.T, url string, lastID string) *sseReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	return &sseReader{sc: bufio.NewScanner(resp.Body), cancel: cancel}
}

// next returns the next event; the test's deadline bounds the wait (the
// agent's keepalives end every read).
func (r *sseReader) next(t *testing.T) sseEvent {
	t.Helper()
	var e sseEvent
	for r.sc.Scan() {
		line := r.sc.Text()
		switch {
		case line == "" && e.name != "":
			return e
		case strings.HasPrefix(line, "id: "):
			e.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.name = line[7:]
		case strings.HasPrefix(line, "data: "):
			require.NoError(t, json.Unmarshal([]byte(line[6:]), &e.data))
		}
	}
	t.Fatalf("event stream ended: %v", r.sc.Err())
	return e
}

// await returns the first event matching ok, failing after 10 s.
func (r *sseReader) await(t *testing.T, ok func(sseEvent) bool) sseEvent {
	t.Helper()
	timer := time.AfterFunc(10*time.Second, r.cancel)
	defer timer.Stop()
	for {
		if e := r.next(t); ok(e) {
			return e
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

func TestHTTPEvents(t *testing.T) {
	ring := startRing(t, []string{"a", "b", "c"}, "-http-write")
	a, b, c := ring[0], ring[1], ring[2]
	events := openEvents(t, a.url("/v1/events"), "")

	status, _ := httpDo(t, http.MethodPut, b.url("/v1/keys/color"), "blue")
	require.Equal(t, http.StatusOK, status)
	e := events.await(t, func(e sseEvent) bool { return e.name == kindKey && e.data.Key == "color" })
	require.Equal(t, eventJSON{Kind: kindKey, Time: e.data.Time, Type: "set", Node: "b", Key: "color", Value: "blue"}, e.data)
	require.WithinDuration(t, time.Now(), e.data.Time, 10*time.Second)
	keyEventID := e.id

	require.NoError(t, c.close()) // a crash, as far as its peers can tell
	e = events.await(t, func(e sseEvent) bool { return e.name == kindNode && e.data.Type == "dead" })
	require.Equal(t, "c", e.data.Node)
	require.Equal(t, c.gossipAddr(), e.data.Address)

	// A client reconnecting with Last-Event-ID gets what followed.
	replay := openEvents(t, a.url("/v1/events"), keyEventID)
	e = replay.await(t, func(sseEvent) bool { return true })
	require.Greater(t, atoi(t, e.id), atoi(t, keyEventID))
	replay = openEvents(t, a.url("/v1/events?since=0"), "")
	e = replay.await(t, func(sseEvent) bool { return true })
	require.Equal(t, "1", e.id, "since=0 replays from the first kept event")

	status, body := httpDo(t, http.MethodGet, a.url("/v1/events?since=x"), "")
	require.Equal(t, http.StatusBadRequest, status)
	requireErrorJSON(t, body)
}

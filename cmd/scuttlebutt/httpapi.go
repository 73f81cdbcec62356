package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scuttlego/scuttlebutt"
)

// The agent's HTTP API. Every response is JSON (but /metrics, the event
// stream and the dashboard); errors are {"error": "..."} with a 4xx or 5xx
// status. The API has no authentication: it shows the whole cluster's
// state, and with -http-write it changes this node's keys, which every
// member then sees. That is why it listens on loopback by default and why
// writes are refused (403) unless the agent was started with -http-write.

// maxValueBytes bounds a PUT body; the library refuses far smaller values
// (about 1,150 bytes with the default 1400-byte datagrams) with 413 anyway.
const maxValueBytes = 64 << 10

// routes returns the agent's HTTP handler.
func (a *agent) routes() http.Handler {
	mux := http.NewServeMux()
	get := func(h http.HandlerFunc) http.Handler { return methods{http.MethodGet: h} }
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: %s", r.URL.Path)
	}))
	mux.Handle("/{$}", get(a.handleDashboard))
	mux.Handle("/dashboard/", get(a.handleDashboardAsset))
	mux.Handle("/v1/members", get(a.handleMembers))
	mux.Handle("/v1/state", get(a.handleState))
	mux.Handle("/v1/nodes/{id}", get(a.handleNode))
	mux.Handle("/v1/nodes/{id}/keys/{key...}", get(a.handleNodeKey))
	mux.Handle("/v1/keys/{key...}", methods{http.MethodPut: a.handlePut, http.MethodDelete: a.handleDelete})
	mux.Handle("/v1/events", get(a.handleEvents))
	mux.Handle("/v1/phi", get(a.handlePhi))
	mux.Handle("/v1/stats", get(a.handleStats))
	mux.Handle("/metrics", get(a.metricsHandler().ServeHTTP))
	mux.Handle("/debug/vars", get(a.handleVars))
	mux.Handle("/healthz", get(a.handleHealth))
	return mux
}

// methods dispatches on the request method, answering others with 405 and
// an Allow header. GET handlers also serve HEAD.
type methods map[string]http.HandlerFunc

func (m methods) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if h, ok := m[method]; ok {
		h(w, r)
		return
	}
	var allow []string
	for k := range m {
		allow = append(allow, k)
		if k == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	slices.Sort(allow)
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method %s not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", "))
}

// writeJSON writes v as indented JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error": "encoding the response failed"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// errorJSON is the body of every error response.
type errorJSON struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, errorJSON{Error: fmt.Sprintf(format, args...)})
}

// Member statuses in the API.
const (
	statusLive    = "live"
	statusDead    = "dead" // convicted, or left
	statusPending = "pending"
)

// memberJSON is one member in /v1/members and /v1/nodes/{id}.
type memberJSON struct {
	ID string `json:"id"`
	// Address is the gossip address the node advertises; empty for a
	// pending node, whose address the library does not show.
	Address string `json:"address"`
	// Status is "live" (the local node included), "dead" (convicted or
	// left) or "pending" (heard of through gossip, not confirmed yet).
	Status string `json:"status"`
	// Self marks the agent's own node.
	Self bool `json:"self"`
	// Generation is the incarnation held: the node's start time in Unix
	// nanoseconds; a restarted node has a higher one.
	Generation uint64 `json:"generation"`
	// Version is the highest version of the node's state held here;
	// SeenVersion the highest any peer has shown (above Version while an
	// update is on its way).
	Version     uint64 `json:"version"`
	SeenVersion uint64 `json:"seen_version"`
	// Phi is a live peer's current suspicion level; null otherwise.
	Phi *float64 `json:"phi"`
}

// nodeJSON is /v1/nodes/{id}: a member and its keys.
type nodeJSON struct {
	memberJSON
	Keys map[string]string `json:"keys"`
}

// members returns every member this node lists, itself included, sorted by
// ID.
func (a *agent) members() []memberJSON {
	stats := a.sb.Stats()
	byID := map[string]memberJSON{}
	self := a.sb.LocalNode()
	byID[self.ID] = memberJSON{ID: self.ID, Address: self.GossipPublicAddress, Status: statusLive, Self: true}
	for _, n := range a.sb.LiveNodes() {
		m := memberJSON{ID: n.ID, Address: n.GossipPublicAddress, Status: statusLive}
		if phi, ok := stats.Phi[n.ID]; ok {
			m.Phi = &phi
		}
		byID[n.ID] = m
	}
	// Read second, so that a peer convicted between the two reads shows
	// as dead.
	for _, n := range a.sb.DeadNodes() {
		byID[n.ID] = memberJSON{ID: n.ID, Address: n.GossipPublicAddress, Status: statusDead}
	}
	out := make([]memberJSON, 0, len(byID))
	for _, m := range byID {
		a.addVersion(&m)
		out = append(out, m)
	}
	slices.SortFunc(out, func(x, y memberJSON) int { return strings.Compare(x.ID, y.ID) })
	return out
}

func (a *agent) addVersion(m *memberJSON) {
	if v, ok := a.sb.NodeVersion(m.ID); ok {
		m.Generation, m.Version, m.SeenVersion = v.Generation, v.Held, v.Seen
	}
}

func (a *agent) handleMembers(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, a.members())
}

// handleState serves every listed node's keys, by node ID.
func (a *agent) handleState(w http.ResponseWriter, _ *http.Request) {
	out := map[string]map[string]string{}
	for _, m := range a.members() {
		if keys, ok := a.sb.NodeState(m.ID); ok {
			out[m.ID] = keys
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// node returns what this node holds of node id, and whether it knows it.
func (a *agent) node(id string) (nodeJSON, bool) {
	keys, ok := a.sb.NodeState(id)
	if !ok {
		return nodeJSON{}, false
	}
	n := nodeJSON{memberJSON: memberJSON{ID: id, Status: statusPending}, Keys: keys}
	for _, m := range a.members() {
		if m.ID == id {
			n.memberJSON = m
		}
	}
	if n.Status == statusPending {
		a.addVersion(&n.memberJSON)
	}
	return n, true
}

func (a *agent) handleNode(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	n, ok := a.node(id)
	if !ok {
		writeError(w, http.StatusNotFound, "unknown node %q", id)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

// keyJSON is a key of a node: GET /v1/nodes/{id}/keys/{key}, and the
// answer to PUT and DELETE of /v1/keys/{key}.
type keyJSON struct {
	Node    string `json:"node"`
	Key     string `json:"key"`
	Value   string `json:"value"`
	TTL     string `json:"ttl,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
}

func (a *agent) handleNodeKey(w http.ResponseWriter, r *http.Request) {
	id, key := r.PathValue("id"), r.PathValue("key")
	keys, ok := a.sb.NodeState(id)
	if !ok {
		writeError(w, http.StatusNotFound, "unknown node %q", id)
		return
	}
	v, ok := keys[key]
	if !ok {
		writeError(w, http.StatusNotFound, "node %q has no key %q", id, key)
		return
	}
	writeJSON(w, http.StatusOK, keyJSON{Node: id, Key: key, Value: v})
}

// writable refuses a write unless the agent was started with -http-write.
func (a *agent) writable(w http.ResponseWriter) bool {
	if !a.opts.httpWrite {
		writeError(w, http.StatusForbidden, "writes are disabled: start the agent with -http-write to allow them")
		return false
	}
	return true
}

// handlePut sets a key of this node to the request body; ?ttl=30s sets it
// with a TTL.
func (a *agent) handlePut(w http.ResponseWriter, r *http.Request) {
	if !a.writable(w) {
		return
	}
	key := r.PathValue("key")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxValueBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "value longer than %d bytes", maxValueBytes)
			return
		}
		writeError(w, http.StatusBadRequest, "reading the value: %v", err)
		return
	}
	value := string(body)
	res := keyJSON{Node: a.sb.LocalNode().ID, Key: key, Value: value}
	if s := r.URL.Query().Get("ttl"); s != "" {
		ttl, err := parseTTL(s)
		if err != nil {
			writeError(w, http.StatusBadRequest, "ttl %q: %v", s, err)
			return
		}
		err = a.sb.SetWithTTL(key, value, ttl)
		if err != nil {
			writeLibraryError(w, err)
			return
		}
		res.TTL = ttl.String()
	} else if err := a.sb.Set(key, value); err != nil {
		writeLibraryError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// parseTTL takes a Go duration ("30s", "1h30m") or whole seconds ("30").
func parseTTL(s string) (time.Duration, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		s = strconv.FormatUint(n, 10) + "s"
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("want a duration such as 30s or 5m")
	}
	if d <= 0 {
		return 0, errors.New("must be positive")
	}
	return d, nil
}

// handleDelete deletes a key of this node; 404 if it has no such key.
func (a *agent) handleDelete(w http.ResponseWriter, r *http.Request) {
	if !a.writable(w) {
		return
	}
	key := r.PathValue("key")
	self := a.sb.LocalNode().ID
	if _, ok := a.sb.Get(self, key); !ok {
		writeError(w, http.StatusNotFound, "node %q has no key %q", self, key)
		return
	}
	if err := a.sb.Delete(key); err != nil {
		writeLibraryError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, keyJSON{Node: self, Key: key, Deleted: true})
}

// writeLibraryError maps the library's write errors to statuses.
func writeLibraryError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, scuttlebutt.ErrInvalidKey), errors.Is(err, scuttlebutt.ErrInvalidTTL):
		status = http.StatusBadRequest
	case errors.Is(err, scuttlebutt.ErrTooLarge):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, scuttlebutt.ErrShutdown):
		status = http.StatusServiceUnavailable
	}
	writeError(w, status, "%v", err)
}

// statsJSON is /v1/stats: this node and its counters.
type statsJSON struct {
	Node          string  `json:"node"`
	Cluster       string  `json:"cluster"`
	Address       string  `json:"address"`
	Generation    uint64  `json:"generation"`
	UptimeSeconds float64 `json:"uptime_seconds"`
	IntervalMS    int64   `json:"interval_ms"`
	WriteEnabled  bool    `json:"write_enabled"`
	PhiThreshold  float64 `json:"phi_threshold"`
	Live          int     `json:"live"`
	Dead          int     `json:"dead"`

	PacketsSent            uint64 `json:"packets_sent"`
	BytesSent              uint64 `json:"bytes_sent"`
	PacketsReceived        uint64 `json:"packets_received"`
	BytesReceived          uint64 `json:"bytes_received"`
	DroppedMalformed       uint64 `json:"dropped_malformed"`
	DroppedAuth            uint64 `json:"dropped_auth"`
	DroppedClusterMismatch uint64 `json:"dropped_cluster_mismatch"`
	DroppedOversize        uint64 `json:"dropped_oversize"`
	DroppedOutgoing        uint64 `json:"dropped_outgoing"`
	WrongClusterReplies    uint64 `json:"wrong_cluster_replies"`
	Rounds                 uint64 `json:"rounds"`
}

func (a *agent) handleStats(w http.ResponseWriter, _ *http.Request) {
	s := a.sb.Stats()
	self := a.sb.LocalNode()
	out := statsJSON{
		Node: self.ID, Cluster: a.opts.cluster, Address: self.GossipPublicAddress,
		UptimeSeconds: time.Since(a.started).Seconds(), IntervalMS: a.opts.interval.Milliseconds(),
		WriteEnabled: a.opts.httpWrite, PhiThreshold: a.opts.fd.PhiThreshold, Live: len(a.sb.LiveNodes()), Dead: len(a.sb.DeadNodes()),
		PacketsSent: s.PacketsSent, BytesSent: s.BytesSent, PacketsReceived: s.PacketsReceived, BytesReceived: s.BytesReceived,
		DroppedMalformed: s.DroppedMalformed, DroppedAuth: s.DroppedAuth, DroppedClusterMismatch: s.DroppedClusterMismatch,
		DroppedOversize: s.DroppedOversize, DroppedOutgoing: s.DroppedOutgoing, WrongClusterReplies: s.WrongClusterReplies, Rounds: s.Rounds,
	}
	if v, ok := a.sb.NodeVersion(self.ID); ok {
		out.Generation = v.Generation
	}
	writeJSON(w, http.StatusOK, out)
}

// phiJSON is /v1/phi: each live peer's recent phi.
type phiJSON struct {
	IntervalMS int64 `json:"interval_ms"`
	WindowMS   int64 `json:"window_ms"`
	Now        int64 `json:"now"` // Unix milliseconds
	// Peers holds, by peer ID, [Unix milliseconds, phi] samples, oldest
	// first: those after ?since= (Unix milliseconds), or the whole window.
	Peers map[string][][2]float64 `json:"peers"`
}

func (a *agent) handlePhi(w http.ResponseWriter, r *http.Request) {
	var since int64
	if s := r.URL.Query().Get("since"); s != "" {
		var err error
		if since, err = strconv.ParseInt(s, 10, 64); err != nil {
			writeError(w, http.StatusBadRequest, "since %q: want Unix milliseconds", s)
			return
		}
	}
	writeJSON(w, http.StatusOK, phiJSON{
		IntervalMS: a.opts.interval.Milliseconds(), WindowMS: a.opts.phiHistory.Milliseconds(),
		Now: time.Now().UnixMilli(), Peers: a.phi.since(since),
	})
}

// healthJSON is /healthz.
type healthJSON struct {
	Status string `json:"status"` // "ok" or "stopping"
	Node   string `json:"node"`
	Live   int    `json:"live"` // live peers
}

func (a *agent) handleHealth(w http.ResponseWriter, _ *http.Request) {
	h := healthJSON{Status: "ok", Node: a.sb.LocalNode().ID, Live: len(a.sb.LiveNodes())}
	if a.stopping() {
		h.Status = "stopping"
		writeJSON(w, http.StatusServiceUnavailable, h)
		return
	}
	writeJSON(w, http.StatusOK, h)
}

// sseKeepAlive is how often an idle event stream gets a comment, so that
// proxies and clients see the connection alive.
const sseKeepAlive = 15 * time.Second

// handleEvents streams node events and key changes as Server-Sent Events:
// "event: node" or "event: key", "id:" a sequence number, "data:" an
// eventJSON. A client reconnecting with Last-Event-ID (EventSource does)
// or asking ?since=ID first gets the kept events after that ID.
func (a *agent) handleEvents(w http.ResponseWriter, r *http.Request) {
	since, replay := uint64(0), false
	// Last-Event-ID, sent by a reconnecting EventSource, wins over the
	// since= of the URL it first connected with.
	for _, s := range []string{r.URL.Query().Get("since"), r.Header.Get("Last-Event-ID")} {
		if s == "" {
			continue
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "event ID %q: want a number", s)
			return
		}
		since, replay = n, true
	}
	rc := http.NewResponseController(w)
	past, sub := a.broker.subscribe(since, replay)
	defer a.broker.unsubscribe(sub)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(e event) error {
		_, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.id, e.kind, e.data)
		return err
	}
	if _, err := io.WriteString(w, "retry: 2000\n: connected\n\n"); err != nil {
		return
	}
	for _, e := range past {
		if write(e) != nil {
			return
		}
	}
	if rc.Flush() != nil {
		return
	}
	keepAlive := time.NewTicker(sseKeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepAlive.C:
			if _, err := io.WriteString(w, ": keepalive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case e, ok := <-sub.ch:
			if !ok {
				return
			}
			if write(e) != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

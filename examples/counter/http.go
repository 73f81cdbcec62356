package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/scuttlego/scuttlebutt"
	"github.com/scuttlego/scuttlebutt/examples/counter/pncounter"
)

// api serves one node's counter endpoints:
//
//	POST   /inc?key=K&delta=N   add N (default 1) to this node's total of K
//	GET    /query?key=K         stream K's value, one line per round, until settled
//	GET    /query?key=K&once=1  K's value now, as one JSON object
//	DELETE /counter?key=K       withdraw this node's total of K
type api struct {
	id      string
	counter *counter
	tracker *tracker
	settle  int // rounds a complete reading must stay unchanged to be settled
}

// incResult is the answer to POST /inc.
type incResult struct {
	Key       string `json:"key"`
	Node      string `json:"node"`
	Delta     int64  `json:"delta"`
	NodeTotal int64  `json:"node_total"` // this node's total after the increment
}

// resetResult is the answer to DELETE /counter.
type resetResult struct {
	Key     string `json:"key"`
	Node    string `json:"node"`
	Removed int64  `json:"removed"` // the total this node withdrew
}

// queryResult is one line of GET /query, or its whole answer with once=1.
type queryResult struct {
	Key             string   `json:"key"`
	Node            string   `json:"node"`     // the node answering
	Value           int64    `json:"value"`    // the sum of the totals it holds
	Complete        bool     `json:"complete"` // see pncounter.Read
	Nodes           int      `json:"nodes"`    // members summed
	Entries         int      `json:"entries"`  // members holding a total of the key
	Unconfirmed     []string `json:"unconfirmed"`
	UnchangedRounds int      `json:"unchanged_rounds"`
	Settled         bool     `json:"settled"` // complete and unchanged for -settle rounds
	Error           string   `json:"error,omitempty"`
}

// errorResult is the body of every error answer.
type errorResult struct {
	Error string `json:"error"`
}

func (a *api) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/inc", only(http.MethodPost, a.inc))
	mux.HandleFunc("/query", only(http.MethodGet, a.query))
	mux.HandleFunc("/counter", only(http.MethodDelete, a.reset))
	return mux
}

// only answers 405 to requests of another method than method.
func only(method string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("%s %s: want %s", r.Method, r.URL.Path, method))
			return
		}
		h(w, r)
	}
}

func (a *api) inc(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name, err := counterName(q.Get("key"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	delta := int64(1)
	if q.Has("delta") {
		if delta, err = strconv.ParseInt(q.Get("delta"), 10, 64); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("delta %q: want a decimal int64", q.Get("delta")))
			return
		}
	}
	total, err := a.counter.inc(name, delta)
	if err != nil {
		writeError(w, writeStatus(err), err)
		return
	}
	writeJSON(w, http.StatusOK, incResult{Key: name, Node: a.id, Delta: delta, NodeTotal: total})
}

func (a *api) reset(w http.ResponseWriter, r *http.Request) {
	name, err := counterName(r.URL.Query().Get("key"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	removed, err := a.counter.reset(name)
	if err != nil {
		writeError(w, writeStatus(err), err)
		return
	}
	writeJSON(w, http.StatusOK, resetResult{Key: name, Node: a.id, Removed: removed})
}

func (a *api) query(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name, err := counterName(q.Get("key"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	once := false
	if q.Has("once") {
		if once, err = strconv.ParseBool(q.Get("once")); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("once %q: want 1 or 0", q.Get("once")))
			return
		}
	}
	if once {
		s := a.tracker.now(name)
		if s.Err != nil {
			writeError(w, http.StatusInternalServerError, s.Err)
			return
		}
		writeJSON(w, http.StatusOK, a.result(name, s))
		return
	}
	unwatch := a.tracker.watch(name) // before the first read: no round is missed
	defer unwatch()
	s := a.tracker.now(name)
	// A stream counts unchanged rounds from its own first line, so it
	// watches for at least -settle rounds: writes made anywhere before it
	// started have that long to arrive.
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	var streak pncounter.Streak
	for {
		s.unchanged = streak.Observe(s.Reading)
		res := a.result(name, s)
		if enc.Encode(res) != nil || rc.Flush() != nil {
			return // the client went away
		}
		if res.Settled || res.Error != "" {
			return
		}
		if s, err = a.tracker.wait(r.Context(), name, s.round); err != nil {
			return
		}
	}
}

// result renders a sample of counter name.
func (a *api) result(name string, s sample) queryResult {
	res := queryResult{
		Key: name, Node: a.id, Value: s.Value, Complete: s.Complete, Nodes: s.Nodes, Entries: s.Entries,
		Unconfirmed: s.Unconfirmed, UnchangedRounds: s.unchanged,
		Settled: s.Err == nil && s.Complete && s.unchanged >= a.settle,
	}
	if res.Unconfirmed == nil {
		res.Unconfirmed = []string{}
	}
	if s.Err != nil {
		res.Error = s.Err.Error()
	}
	return res
}

// counterName checks the key parameter.
func counterName(key string) (string, error) {
	if key == "" {
		return "", errors.New("missing key")
	}
	if err := pncounter.CheckName(key); err != nil {
		return "", fmt.Errorf("key: %w", err)
	}
	return key, nil
}

// writeStatus maps an error of a write to an HTTP status.
func writeStatus(err error) int {
	switch {
	case errors.Is(err, pncounter.ErrInvalidName), errors.Is(err, scuttlebutt.ErrInvalidKey), errors.Is(err, scuttlebutt.ErrTooLarge):
		return http.StatusBadRequest
	case errors.Is(err, pncounter.ErrOverflow):
		return http.StatusConflict
	case errors.Is(err, scuttlebutt.ErrShutdown):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, errorResult{Error: err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

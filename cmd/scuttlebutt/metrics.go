package main

import (
	"bytes"
	"encoding/json"
	"expvar"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scuttlego/scuttlebutt"
	"github.com/scuttlego/scuttlebutt/prom"
)

// newRegistry returns the registry behind the agent's /metrics: the node's
// collector (package prom) and the standard Go runtime and process
// collectors. Each agent has its own, so that several can run in one
// process (as in tests).
func newRegistry(sb *scuttlebutt.Scuttlebutt) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		prom.NewCollector(sb),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// metricsHandler serves /metrics in the Prometheus exposition formats.
func (a *agent) metricsHandler() http.Handler {
	return promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// expvarName is the key of the node's statistics in /debug/vars.
const expvarName = "scuttlebutt"

// handleVars serves /debug/vars like expvar's own handler (every published
// variable: cmdline, memstats, ...) plus this agent's node's Stats under
// "scuttlebutt". The node is not published in the process-wide expvar
// registry, which has no way to unpublish and allows a name once.
func (a *agent) handleVars(w http.ResponseWriter, _ *http.Request) {
	var b bytes.Buffer
	b.WriteString("{\n")
	expvar.Do(func(kv expvar.KeyValue) {
		if kv.Key == expvarName {
			return
		}
		fmt.Fprintf(&b, "%q: %s,\n", kv.Key, kv.Value)
	})
	stats, err := json.Marshal(a.sb.Stats())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	fmt.Fprintf(&b, "%q: %s\n}\n", expvarName, stats)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

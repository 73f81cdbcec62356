package main

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
)

// The dashboard is one page of plain HTML, CSS and JavaScript, embedded in
// the binary: no build step, nothing fetched from elsewhere. It polls
// /v1/members, /v1/state, /v1/stats and /v1/phi once per gossip interval
// (at most once a second) and follows /v1/events for its event log.

//go:embed dashboard
var dashboardFiles embed.FS

// handleDashboard serves the page.
func (a *agent) handleDashboard(w http.ResponseWriter, r *http.Request) {
	a.serveAsset(w, r, "index.html")
}

// handleDashboardAsset serves the page's script and style sheet.
func (a *agent) handleDashboardAsset(w http.ResponseWriter, r *http.Request) {
	a.serveAsset(w, r, path.Base(r.URL.Path))
}

func (a *agent) serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	data, err := fs.ReadFile(dashboardFiles, "dashboard/"+name)
	if err != nil {
		writeError(w, http.StatusNotFound, "no such file: %s", r.URL.Path)
		return
	}
	switch path.Ext(name) {
	case ".html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(data)
}

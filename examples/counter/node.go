package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/scuttlego/scuttlebutt"
	"github.com/scuttlego/scuttlebutt/examples/counter/pncounter"
)

// nodeConfig says where one node runs.
type nodeConfig struct {
	id     string
	listen string // UDP gossip address
	http   string // TCP address of the HTTP API
	state  string // state file; "" keeps the totals in memory only
}

// node is a running counter node: a cluster member with its HTTP API.
type node struct {
	id      string
	sb      *scuttlebutt.Scuttlebutt
	counter *counter
	tracker *tracker
	url     string // base URL of the HTTP API

	srv         *http.Server
	cancel      context.CancelFunc // ends the requests in flight (streaming queries)
	serving     sync.WaitGroup
	stopServing func() error // once: see stopHTTP
}

// startNode starts a node: it loads the node's totals from its state file,
// publishes them as the node's initial keys, starts gossip and serves the
// HTTP API. It prints the node's line (see the package doc).
func startNode(opts options, nc nodeConfig, p *printer) (*node, error) {
	var state *stateFile
	totals := map[string]int64{}
	if nc.state != "" {
		state = &stateFile{path: nc.state, id: nc.id}
		var err error
		if totals, err = state.load(); err != nil {
			return nil, fmt.Errorf("node %s: %w", nc.id, err)
		}
	}
	cfg := scuttlebutt.DefaultLANConfig()
	cfg.ClusterID = opts.cluster
	cfg.Node.ID = nc.id
	cfg.ListenAddr = nc.listen
	cfg.GossipInterval = opts.interval
	cfg.FailureDetectorConfig.FirstHeartbeatEstimate = opts.interval
	cfg.FailureDetectorConfig.DeadNodeGracePeriod = opts.deadGrace
	if opts.configure != nil {
		opts.configure(cfg)
	}
	cfg.Events = &eventPrinter{id: nc.id, p: p}
	sb, err := scuttlebutt.NewScuttlebutt(cfg, metadata(totals))
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", nc.id, err)
	}
	// Nodes the library holds as pending are listed neither live nor dead:
	// the totals received from them name them.
	sources := &pncounter.Sources{}
	sb.Subscribe(pncounter.KeyPrefix, func(c scuttlebutt.KeyChange) { sources.Observe(c.Node.ID, c.Key) })
	ln, err := net.Listen("tcp", nc.http)
	if err != nil {
		_ = sb.Shutdown()
		return nil, fmt.Errorf("node %s: http: %w", nc.id, err)
	}
	n := &node{
		id:      nc.id,
		sb:      sb,
		counter: newCounter(sb, state, totals),
		tracker: startTracker(holder{sb}, sources, opts.interval, time.Duration(opts.fresh)*opts.interval),
		url:     "http://" + ln.Addr().String(),
	}
	n.stopServing = sync.OnceValue(n.stopHTTP)
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	a := &api{id: nc.id, counter: n.counter, tracker: n.tracker, settle: opts.settle}
	n.srv = &http.Server{
		Handler:           a.handler(),
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ReadHeaderTimeout: 10 * time.Second,
	}
	n.serving.Go(func() { _ = n.srv.Serve(ln) })
	p.printf("node id=%s gossip=%s http=%s", n.id, sb.LocalNode().GossipPublicAddress, n.url)
	return n, nil
}

// eventPrinter prints a node's membership events. The library calls it
// from its dispatcher goroutine, never from the gossip loop.
type eventPrinter struct {
	id string
	p  *printer
}

// NotifyLive prints that a peer became live.
func (e *eventPrinter) NotifyLive(n scuttlebutt.Node) { e.p.printf("[%s] %s is live", e.id, n.ID) }

// NotifyDead prints that a peer died or left.
func (e *eventPrinter) NotifyDead(n scuttlebutt.Node) { e.p.printf("[%s] %s is dead", e.id, n.ID) }

// NotifyUpdate prints nothing: every increment anywhere is an update.
func (e *eventPrinter) NotifyUpdate(scuttlebutt.Node) {}

// join joins the cluster through seeds. If no seed answers in time, the
// node keeps trying in the background.
func (n *node) join(p *printer, seeds []string) {
	err := n.sb.Join(seeds)
	switch {
	case err == nil:
		p.printf("[%s] joined through %s", n.id, strings.Join(seeds, ","))
	case errors.Is(err, scuttlebutt.ErrShutdown):
	case errors.Is(err, scuttlebutt.ErrInvalidConfig):
		p.printf("[%s] join: %v", n.id, err)
	default: // ErrJoinTimeout, ErrClusterMismatch, ErrAuthFailed: the error says which seed did what
		p.printf("[%s] %v; still trying in the background", n.id, err)
	}
}

// leave stops serving and leaves the cluster gracefully, waiting a few
// seconds at most for a peer to take note.
func (n *node) leave(p *printer) error {
	p.printf("[%s] leaving", n.id)
	err := n.stopServing()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return errors.Join(err, n.sb.Leave(ctx))
}

// kill stops the node without leaving: its peers convict it after the
// failure detector's timeout, as if it had crashed.
func (n *node) kill() error {
	return errors.Join(n.stopServing(), n.sb.Shutdown())
}

// stopHTTP ends the requests in flight, closes the HTTP server and stops
// the tracker.
func (n *node) stopHTTP() error {
	n.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := n.srv.Shutdown(ctx)
	if err != nil {
		err = n.srv.Close()
	}
	n.serving.Wait()
	n.tracker.stop()
	return err
}

// leaveAll makes nodes leave one after the other, the last first.
func leaveAll(p *printer, nodes []*node) error {
	var errs []error
	for i := len(nodes) - 1; i >= 0; i-- {
		errs = append(errs, nodes[i].leave(p))
	}
	return errors.Join(errs...)
}

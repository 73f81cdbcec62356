package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/scuttlego/scuttlebutt"
)

// agentOptions are the agent's settings, from its flags.
type agentOptions struct {
	id, cluster       string
	listen, advertise string
	join              listFlag
	keyFile           string
	set               keyValueFlag
	httpAddr          string
	httpWrite         bool
	interval          time.Duration
	gossipNodes       int
	maxPacketSize     int
	compress          bool
	tombstoneGrace    time.Duration
	fd                scuttlebutt.FailureDetectorConfig
	leaveTimeout      time.Duration
	phiHistory        time.Duration
	logLevel          string
	logFormat         string
}

const agentAbout = `Runs one cluster member until SIGINT or SIGTERM, then leaves the cluster
gracefully (peers report it dead at once) within -leave-timeout; a second
signal exits at once. SIGHUP re-reads -key-file, to rotate keys without
downtime. With -http (on by default, loopback only) it serves a JSON API,
/metrics, /debug/vars and a dashboard at /.`

// agentFlags defines the agent's flags on fs.
func agentFlags(fs *flag.FlagSet) *agentOptions {
	lan := scuttlebutt.DefaultLANConfig()
	fd := scuttlebutt.FailureDetectorDefaultConfig()
	host, _ := os.Hostname()
	o := &agentOptions{}
	fs.StringVar(&o.id, "id", host, "node ID, unique in the cluster (the default is the host name)")
	fs.StringVar(&o.cluster, "cluster", lan.ClusterID, "cluster ID; datagrams of other clusters are dropped")
	fs.StringVar(&o.listen, "listen", lan.ListenAddr, "UDP host:port to gossip on")
	fs.StringVar(&o.advertise, "advertise", "", "gossip host:port advertised to peers (default: the bound address; with a wildcard bind, the first non-loopback address)")
	fs.Var(&o.join, "join", "seed host:port to join, comma-separated or repeated; names are re-resolved on each retry")
	fs.StringVar(&o.keyFile, "key-file", "", "file of AES keys (hex, one per line, the first primary; or one raw 16, 24 or 32-byte key): encrypts gossip")
	fs.Var(&o.set, "set", "key=value of this node at start, repeatable (the environment variable takes comma-separated pairs)")
	fs.StringVar(&o.httpAddr, "http", "127.0.0.1:9112", "host:port of the HTTP API, metrics and dashboard; empty turns it off. The API has no authentication: keep it on loopback or a trusted network")
	fs.BoolVar(&o.httpWrite, "http-write", false, "allow PUT and DELETE of this node's keys through the HTTP API")
	fs.DurationVar(&o.interval, "interval", lan.GossipInterval, "gossip interval; the heartbeat rises once per interval")
	fs.IntVar(&o.gossipNodes, "gossip-nodes", lan.GossipNodes, "GossipNodes: a change is pushed to twice as many peers; with pushing disabled, exchanges per interval")
	fs.IntVar(&o.maxPacketSize, "max-packet-size", lan.MaxPacketSize, fmt.Sprintf("largest datagram sent or accepted, in bytes (%d to %d)", scuttlebutt.MinPacketSize, scuttlebutt.MaxPacketSizeLimit))
	fs.BoolVar(&o.compress, "compress", lan.EnableCompression, "compress datagrams when that makes them smaller")
	fs.DurationVar(&o.tombstoneGrace, "tombstone-grace", lan.TombstoneGracePeriod, "how long deletions are remembered")
	fs.Float64Var(&o.fd.PhiThreshold, "phi-threshold", fd.PhiThreshold, "failure detector: phi above which a peer is convicted")
	fs.UintVar(&o.fd.SamplingWindowSize, "sampling-window", fd.SamplingWindowSize, "failure detector: heartbeat intervals kept per peer")
	fs.DurationVar(&o.fd.MinStdDeviation, "min-std-dev", fd.MinStdDeviation, "failure detector: least standard deviation of heartbeat intervals assumed")
	fs.DurationVar(&o.fd.AcceptableHeartbeatPause, "acceptable-pause", fd.AcceptableHeartbeatPause, "failure detector: silence tolerated on top of the mean interval")
	fs.DurationVar(&o.fd.FirstHeartbeatEstimate, "first-heartbeat", fd.FirstHeartbeatEstimate, "failure detector: heartbeat interval assumed before any is measured")
	fs.DurationVar(&o.fd.DeadNodeGracePeriod, "dead-node-grace", fd.DeadNodeGracePeriod, "how long a dead or departed node's state is kept")
	fs.DurationVar(&o.leaveTimeout, "leave-timeout", 5*time.Second, "on SIGINT or SIGTERM, how long to wait for a peer to acknowledge the departure")
	fs.DurationVar(&o.phiHistory, "phi-history", 5*time.Minute, "how much phi history the dashboard's sparklines get (/v1/phi)")
	fs.StringVar(&o.logLevel, "log", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	return o
}

// parseAgentFlags parses the agent's command line.
func parseAgentFlags(c *cli, args []string) (*agentOptions, int, bool) {
	fs := newFlagSet(c, "agent", "[flags]", agentAbout)
	o := agentFlags(fs)
	pos, code, ok := parseFlags(c, fs, args)
	if !ok {
		return nil, code, false
	}
	if len(pos) > 0 {
		return nil, usageError(fs, "unexpected arguments %q", pos), false
	}
	if err := o.validate(); err != nil {
		return nil, usageError(fs, "%v", err), false
	}
	return o, 0, true
}

// validate checks what the library would refuse, so that it is reported as
// a usage error.
func (o *agentOptions) validate() error {
	switch {
	case o.id == "":
		return errors.New("-id is empty (and the host name unknown)")
	case o.interval <= 0:
		return fmt.Errorf("-interval must be positive, got %v", o.interval)
	case o.phiHistory <= 0:
		return fmt.Errorf("-phi-history must be positive, got %v", o.phiHistory)
	case o.leaveTimeout <= 0:
		return fmt.Errorf("-leave-timeout must be positive, got %v", o.leaveTimeout)
	case o.listen == "":
		return errors.New("-listen is empty")
	}
	if _, err := newLogger(nil, o.logLevel, o.logFormat); err != nil {
		return err
	}
	return nil
}

// config returns the library configuration for o.
func (o *agentOptions) config(log *slog.Logger, events scuttlebutt.NotifyEvent) (*scuttlebutt.Config, error) {
	cfg := scuttlebutt.DefaultLANConfig()
	cfg.ClusterID = o.cluster
	cfg.Node = scuttlebutt.Node{ID: o.id, GossipPublicAddress: o.advertise}
	cfg.ListenAddr = o.listen
	cfg.GossipInterval = o.interval
	cfg.GossipNodes = o.gossipNodes
	cfg.MaxPacketSize = o.maxPacketSize
	cfg.EnableCompression = o.compress
	cfg.TombstoneGracePeriod = o.tombstoneGrace
	fd := o.fd
	cfg.FailureDetectorConfig = &fd
	cfg.StructuredLogger = log
	cfg.Events = events
	if o.keyFile != "" {
		keys, err := readKeyFile(o.keyFile)
		if err != nil {
			return nil, err
		}
		if cfg.Keyring, err = newKeyring(keys); err != nil {
			return nil, fmt.Errorf("key file %s: %w", o.keyFile, err)
		}
	}
	return cfg, nil
}

// agent is one running node with its HTTP server.
type agent struct {
	opts    *agentOptions
	log     *slog.Logger
	sb      *scuttlebutt.Scuttlebutt
	broker  *broker
	phi     *phiHistory
	reg     *prometheus.Registry
	started time.Time

	unsubscribe func()
	httpLn      net.Listener // nil when -http is empty
	httpSrv     *http.Server

	stopOnce sync.Once
	done     chan struct{} // closed when the agent stops
	wg       sync.WaitGroup
}

// startAgent starts the node and its HTTP server. It does not join: call
// join.
func startAgent(o *agentOptions, log *slog.Logger) (*agent, error) {
	a := &agent{
		opts:    o,
		log:     log,
		broker:  newBroker(),
		phi:     newPhiHistory(o.phiHistory, o.interval),
		started: time.Now(),
		done:    make(chan struct{}),
	}
	n := &notifier{b: a.broker, log: log}
	cfg, err := o.config(log, n)
	if err != nil {
		return nil, err
	}
	if o.keyFile != "" {
		if w := keyFileWarning(o.keyFile); w != "" {
			log.Warn(w)
		}
	}
	if o.httpAddr != "" {
		if a.httpLn, err = net.Listen("tcp", o.httpAddr); err != nil {
			return nil, fmt.Errorf("http: %w", err)
		}
	}
	a.sb, err = scuttlebutt.NewScuttlebutt(cfg, o.set.Map())
	if err != nil {
		if a.httpLn != nil {
			_ = a.httpLn.Close()
		}
		return nil, err
	}
	a.unsubscribe = a.sb.Subscribe("", n.keyChange)
	a.reg = newRegistry(a.sb)
	self := a.sb.LocalNode()
	log.Info("agent started", "id", self.ID, "cluster", o.cluster, "gossip", self.GossipPublicAddress,
		"encrypted", cfg.Keyring != nil, "interval", o.interval)
	a.wg.Add(1)
	go a.samplePhi()
	if a.httpLn != nil {
		a.httpSrv = &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
		if tcp, ok := a.httpLn.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
			log.Warn("HTTP API on a non-loopback address: it has no authentication and shows the cluster's state", "http", a.httpLn.Addr().String(), "writes", o.httpWrite)
		}
		log.Info("HTTP API listening", "http", a.httpLn.Addr().String(), "writes", o.httpWrite)
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			if err := a.httpSrv.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("HTTP server stopped", "err", err)
			}
		}()
	}
	return a, nil
}

// httpAddr returns the HTTP listener's address, or "" when it is off.
func (a *agent) httpAddr() string {
	if a.httpLn == nil {
		return ""
	}
	return a.httpLn.Addr().String()
}

// join joins the -join seeds in the background; the library retries them
// for as long as the node has no live peer, and logs the outcome ("joined",
// or "join failed" with what each seed did) through the agent's logger.
func (a *agent) join() {
	if len(a.opts.join) == 0 {
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.sb.Join(a.opts.join); errors.Is(err, scuttlebutt.ErrInvalidConfig) {
			a.log.Error("join: a seed is not host:port; nothing was contacted", "seeds", a.opts.join.String(), "err", err)
		}
	}()
}

// samplePhi records every live peer's phi once per interval.
func (a *agent) samplePhi() {
	defer a.wg.Done()
	t := time.NewTicker(a.opts.interval)
	defer t.Stop()
	for {
		select {
		case <-a.done:
			return
		case now := <-t.C:
			a.phi.add(now, a.sb.Stats().Phi)
		}
	}
}

// reloadKeys re-reads the key file into the node's keyring.
func (a *agent) reloadKeys() error {
	if a.opts.keyFile == "" {
		return errors.New("no -key-file to reload")
	}
	kr := a.sb.Keyring()
	if kr == nil {
		return errors.New("encryption is off")
	}
	keys, err := readKeyFile(a.opts.keyFile)
	if err != nil {
		return err
	}
	if err := syncKeyring(kr, keys); err != nil {
		return fmt.Errorf("key file %s: %w", a.opts.keyFile, err)
	}
	a.log.Info("keys reloaded", "keys", len(keys))
	return nil
}

// stopping reports whether the agent is stopping.
func (a *agent) stopping() bool {
	select {
	case <-a.done:
		return true
	default:
		return false
	}
}

// leave announces the departure, waits at most the leave timeout for a
// peer to hold it, and stops.
func (a *agent) leave() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.opts.leaveTimeout)
	defer cancel()
	a.beginStop()
	err := a.sb.Leave(ctx)
	if errors.Is(err, scuttlebutt.ErrShutdown) {
		err = nil
	}
	return errors.Join(err, a.finishStop())
}

// close stops at once, without telling peers: they convict the node after
// the failure detector's timeout, as after a crash.
func (a *agent) close() error {
	a.beginStop()
	err := a.sb.Shutdown()
	return errors.Join(err, a.finishStop())
}

// beginStop marks the agent stopping: /healthz fails from now on, event
// streams end.
func (a *agent) beginStop() {
	a.stopOnce.Do(func() {
		close(a.done)
		a.broker.close()
	})
}

func (a *agent) finishStop() error {
	a.unsubscribe()
	var err error
	if a.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err = a.httpSrv.Shutdown(ctx); err != nil {
			err = errors.Join(err, a.httpSrv.Close())
		}
	}
	a.wg.Wait()
	if errors.Is(err, context.DeadlineExceeded) {
		err = nil
	}
	return err
}

// runAgentCommand is "scuttlebutt agent".
func runAgentCommand(ctx context.Context, c *cli, args []string) int {
	o, code, ok := parseAgentFlags(c, args)
	if !ok {
		return code
	}
	log, _ := newLogger(c.stderr, o.logLevel, o.logFormat) // validated
	a, err := startAgent(o, log)
	if err != nil {
		fmt.Fprintln(c.stderr, "scuttlebutt agent:", err)
		if errors.Is(err, scuttlebutt.ErrInvalidConfig) {
			return exitUsage
		}
		return exitFailure
	}
	a.join()

	sigs := make(chan os.Signal, 2)
	if c.notify != nil {
		c.notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
		defer c.stop(sigs)
	}
	for waiting := true; waiting; {
		select {
		case <-ctx.Done():
			log.Info("stopping: leaving the cluster", "timeout", o.leaveTimeout)
			waiting = false
		case s := <-sigs:
			if s == syscall.SIGHUP {
				if err := a.reloadKeys(); err != nil {
					log.Error("SIGHUP: keys not reloaded", "err", err)
				}
				continue
			}
			log.Info("signal: leaving the cluster (a second signal exits at once)", "signal", s.String(), "timeout", o.leaveTimeout)
			waiting = false
		}
	}
	left := make(chan error, 1)
	go func() { left <- a.leave() }()
	for {
		select {
		case err := <-left:
			if err != nil {
				log.Warn("left without acknowledgement", "err", err)
			} else {
				log.Info("left the cluster")
			}
			return exitOK
		case s := <-sigs:
			if s == syscall.SIGHUP {
				continue
			}
			log.Warn("second signal: exiting at once", "signal", s.String())
			return exitFailure
		}
	}
}

package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/scuttlego/scuttlebutt"
)

// member is a running node whose membership events are printed.
type member struct {
	id     string
	sb     *scuttlebutt.Scuttlebutt
	events chan scuttlebutt.NodeEvent
	done   chan struct{} // stops printEvents
	wg     sync.WaitGroup
}

// startMember starts a node listening on the UDP address listen, with
// initial keys meta.
func startMember(opts options, id, listen string, meta map[string]string, p *printer) (*member, error) {
	cfg := scuttlebutt.DefaultLANConfig()
	cfg.ClusterID = opts.cluster
	cfg.Node.ID = id
	cfg.ListenAddr = listen
	cfg.GossipInterval = opts.interval
	cfg.FailureDetectorConfig.FirstHeartbeatEstimate = opts.interval
	// A buffered channel drained by printEvents: the dispatcher never waits
	// on a slow terminal.
	events := make(chan scuttlebutt.NodeEvent, 64)
	cfg.Events = &scuttlebutt.ChannelEvent{Ch: events}
	sb, err := scuttlebutt.NewScuttlebutt(cfg, meta)
	if err != nil {
		return nil, err
	}
	m := &member{id: id, sb: sb, events: events, done: make(chan struct{})}
	p.printf("[%s] listening on %s", id, sb.LocalNode().GossipPublicAddress)
	m.wg.Add(1)
	go m.printEvents(p)
	return m, nil
}

func (m *member) printEvents(p *printer) {
	defer m.wg.Done()
	for {
		select {
		case <-m.done:
			return
		case e := <-m.events:
			switch e.Event {
			case scuttlebutt.NodeLive:
				p.printf("[%s] %s is live (%v)", m.id, e.Node.ID, e.Reason)
			case scuttlebutt.NodeDead:
				p.printf("[%s] %s is dead (%v)", m.id, e.Node.ID, e.Reason)
			case scuttlebutt.NodeUpdate:
				p.printf("[%s] %s updated its keys", m.id, e.Node.ID)
			case scuttlebutt.NodeConflict:
				p.printf("[%s] another process uses ID %s, at %s: stop or rename one of them", m.id, e.Node.ID, e.Node.GossipPublicAddress)
			}
		}
	}
}

// leave leaves the cluster gracefully, waiting a few seconds at most for a
// peer to take note, and stops printing events.
func (m *member) leave(p *printer) error {
	p.printf("[%s] leaving", m.id)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := m.sb.Leave(ctx)
	close(m.done)
	m.wg.Wait()
	return err
}

// leaveAll makes members leave one after the other, the last first.
func leaveAll(p *printer, members []*member) error {
	var errs []error
	for i := len(members) - 1; i >= 0; i-- {
		errs = append(errs, members[i].leave(p))
	}
	return errors.Join(errs...)
}

// join joins the cluster through seeds. If no seed answers in time, the node
// keeps trying in the background.
func (m *member) join(p *printer, seeds []string) {
	err := m.sb.Join(seeds)
	switch {
	case err == nil:
		p.printf("[%s] joined through %s", m.id, strings.Join(seeds, ","))
	case errors.Is(err, scuttlebutt.ErrShutdown):
	case errors.Is(err, scuttlebutt.ErrInvalidConfig):
		p.printf("[%s] join: %v", m.id, err)
	default: // ErrJoinTimeout, ErrClusterMismatch, ErrAuthFailed: the error says which seed did what
		p.printf("[%s] %v; still trying in the background", m.id, err)
	}
}

package scuttlebutt

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// Name resolution, which the engine asks for (Ready.Resolve) and the driver
// does: only the UDP transport resolves names, off the gossip loop, one
// batch at a time; other transports take addresses as given, answered at
// once. Lookups are cancelled by Shutdown.

// resolverState is the resolution in flight.
type resolverState struct {
	ctx    context.Context // cancelled by Shutdown
	busy   bool            // a lookup goroutine runs
	queued []string        // names asked for meanwhile
}

// resolveLocked starts resolving names, or queues them behind the lookup
// in flight. It reports the answer when it can give it at once (transports
// other than UDP), nil otherwise. sb.mu must be held.
func (sb *Scuttlebutt) resolveLocked(names []string) []gossip.Resolution {
	if _, udp := sb.transport.(*UDPTransport); !udp {
		rs := make([]gossip.Resolution, len(names))
		for i, n := range names {
			rs[i] = gossip.Resolution{Name: n, Addr: n}
		}
		return rs
	}
	if sb.res.busy {
		for _, n := range names {
			if !slices.Contains(sb.res.queued, n) {
				sb.res.queued = append(sb.res.queued, n)
			}
		}
		return nil
	}
	sb.res.busy = true
	sb.wg.Add(1)
	go sb.lookup(slices.Clone(names))
	return nil
}

// lookup resolves names and hands the answer to the engine, then starts on
// the names queued meanwhile.
func (sb *Scuttlebutt) lookup(names []string) {
	defer sb.wg.Done()
	rs := make([]gossip.Resolution, len(names))
	for i, n := range names {
		a, err := resolveUDP(sb.res.ctx, n)
		rs[i] = gossip.Resolution{Name: n, Addr: a, Err: err}
	}
	sb.step(func(e *gossip.Engine, now time.Time) {
		e.SeedsResolved(now, rs)
		sb.res.busy = false
		if q := sb.res.queued; len(q) > 0 {
			sb.res.queued = nil
			sb.resolveLocked(q)
		}
	})
}

// resolveUDP turns "host:port" into the address the UDP transport reports
// senders with, so that answers can be matched to the seeds asked.
func resolveUDP(ctx context.Context, name string) (string, error) {
	host, port, err := net.SplitHostPort(name)
	if err != nil {
		return "", err
	}
	p, err := net.DefaultResolver.LookupPort(ctx, "udp", port)
	if err != nil {
		return "", err
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return canonicalAddr(ip, p), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return "", err
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("lookup %s: no address", host)
	}
	ip := ips[0]
	for _, a := range ips { // prefer IPv4, as net.ResolveUDPAddr does
		if a.Unmap().Is4() {
			ip = a
			break
		}
	}
	return canonicalAddr(ip, p), nil
}

// canonicalAddr renders an address the way the UDP transport reports
// senders (UDPTransport.ReadFrom).
func canonicalAddr(ip netip.Addr, port int) string {
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)).String()
}

package scuttlebutt

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrInvalidTTL is returned by SetWithTTL for a TTL that is not positive.
var ErrInvalidTTL = errors.New("scuttlebutt: TTL must be positive")

// Delete removes a key of this node everywhere: a tombstone carries the
// deletion to every peer, and is collected TombstoneGracePeriod later.
// Deleting an absent key is a no-op.
func (sb *Scuttlebutt) Delete(key string) error {
	return sb.write(key, func(c *core, now time.Time) error {
		if key == "" || len(key) > MaxKeyLength {
			return fmt.Errorf("%w: length %d, want 1 to %d bytes", ErrInvalidKey, len(key), MaxKeyLength)
		}
		c.del(key, now)
		return nil
	})
}

// SetWithTTL sets key like Set; this node deletes it once ttl has passed by
// its own clock, and peers see the deletion as for Delete. No peer's clock is
// trusted. Setting the key again replaces the TTL (Set clears it).
func (sb *Scuttlebutt) SetWithTTL(key, value string, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("%w: %v", ErrInvalidTTL, ttl)
	}
	return sb.write(key, func(c *core, now time.Time) error {
		if err := c.checkEntry(key, value); err != nil {
			return err
		}
		c.set(key, value, now, ttl)
		return nil
	})
}

// Leave announces a graceful departure, waits until at least one peer holds
// the announcement (or ctx ends), then shuts down. Peers report this node
// dead at once (NotifyDead) rather than after the failure detector's timeout,
// and stale gossip does not revive it; a node started again with the same ID
// joins as a new generation. Leave returns ctx's error if ctx ended first
// (the node is shut down all the same), and nil when no peer was live.
func (sb *Scuttlebutt) Leave(ctx context.Context) error {
	sb.mu.Lock()
	if sb.closed {
		sb.mu.Unlock()
		return ErrShutdown
	}
	alone := sb.core.liveCount() == 0
	sb.mu.Unlock()
	sb.step(func(c *core, now time.Time) { c.leave(now) })
	var err error
	if !alone {
		err = sb.awaitLeaveAck(ctx)
	}
	if serr := sb.Shutdown(); err == nil {
		err = serr
	}
	return err
}

// awaitLeaveAck re-pushes the leave marker until a peer acknowledges it.
func (sb *Scuttlebutt) awaitLeaveAck(ctx context.Context) error {
	t := time.NewTicker(min(max(sb.cfg.GossipInterval/4, 10*time.Millisecond), 250*time.Millisecond))
	defer t.Stop()
	for {
		sb.mu.Lock()
		acked := sb.core.leaveAcked
		sb.mu.Unlock()
		if acked {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("scuttlebutt: leave not acknowledged: %w", ctx.Err())
		case <-sb.done:
			return ErrShutdown
		case <-t.C:
			sb.step(func(c *core, _ time.Time) { c.pushLeave() })
		}
	}
}

package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/scuttlego/scuttlebutt"
)

// runSingle runs one node, opts.id, which joins opts.join in the background.
func runSingle(ctx context.Context, opts options, p *printer) error {
	meta, err := parseKeyValues(opts.set)
	if err != nil {
		return err
	}
	m, err := startMember(opts, opts.id, opts.listen, meta, p)
	if err != nil {
		return err
	}
	unsubscribe := m.sb.Subscribe("", func(kc scuttlebutt.KeyChange) {
		p.printf("[%s] key change: %s", m.id, describeChange(kc))
	})
	var joining sync.WaitGroup
	if len(opts.join) > 0 {
		// Join waits for a seed; the node gossips and prints meanwhile.
		joining.Go(func() { m.join(p, opts.join) })
	}

	// Deletes fall between two views, like the demo's changes.
	deletes := time.NewTimer(opts.step + opts.every/2)
	defer deletes.Stop()
	views := time.NewTicker(opts.every)
	defer views.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-views.C:
			printViews(p, []*member{m})
		case <-deletes.C:
			for _, k := range opts.del {
				p.printf("[%s] deletes %s", m.id, k)
				if err = m.sb.Delete(k); err != nil {
					break loop
				}
			}
		}
	}
	unsubscribe()
	err = errors.Join(err, m.leave(p)) // also ends a Join in progress
	joining.Wait()
	return err
}

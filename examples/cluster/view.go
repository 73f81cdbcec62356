package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/scuttlego/scuttlebutt"
)

// printer writes whole lines to w from any goroutine, each prefixed with the
// time since the start. Nothing is written after close.
type printer struct {
	mu     sync.Mutex
	w      io.Writer
	start  time.Time
	closed bool
}

func newPrinter(w io.Writer) *printer { return &printer{w: w, start: time.Now()} }

func (p *printer) printf(format string, args ...any) {
	p.block(fmt.Sprintf(format, args...))
}

// block writes text, one or more lines, in one piece.
func (p *printer) block(text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	stamp := fmt.Sprintf("%6.2fs ", time.Since(p.start).Seconds())
	indent := strings.Repeat(" ", len(stamp))
	var b strings.Builder
	for line := range strings.Lines(strings.TrimRight(text, "\n")) {
		b.WriteString(stamp)
		b.WriteString(line)
		stamp = indent
	}
	b.WriteByte('\n')
	_, _ = io.WriteString(p.w, b.String())
}

func (p *printer) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
}

// printViews prints one row per member: its live and dead peers, and the keys
// of every node it knows, itself included.
func printViews(p *printer, members []*member) {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VIEW OF\tLIVE PEERS\tDEAD PEERS\tKEYS BY NODE")
	for _, m := range members {
		live, dead := m.sb.LiveNodes(), m.sb.DeadNodes()
		known := append(append([]scuttlebutt.Node{m.sb.LocalNode()}, live...), dead...)
		slices.SortFunc(known, func(a, b scuttlebutt.Node) int { return strings.Compare(a.ID, b.ID) })
		var keys []string
		for _, n := range known {
			state, _ := m.sb.NodeState(n.ID)
			keys = append(keys, n.ID+"{"+formatKeys(state)+"}")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.id, nodeIDs(live), nodeIDs(dead), strings.Join(keys, " "))
	}
	_ = tw.Flush()
	p.block(b.String())
}

func nodeIDs(nodes []scuttlebutt.Node) string {
	if len(nodes) == 0 {
		return "-"
	}
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		ids[i] = n.ID
	}
	return strings.Join(ids, ",")
}

// formatKeys renders keys as "k1=v1 k2=v2", sorted by key.
func formatKeys(state map[string]string) string {
	var kvs []string
	for _, k := range slices.Sorted(maps.Keys(state)) {
		kvs = append(kvs, k+"="+state[k])
	}
	return strings.Join(kvs, " ")
}

// describeChange renders a key change as "node-a greeting=hello" or
// "node-a greeting deleted".
func describeChange(c scuttlebutt.KeyChange) string {
	if c.Deleted {
		return c.Node.ID + " " + c.Key + " deleted"
	}
	return c.Node.ID + " " + c.Key + "=" + c.Value
}

package gossip_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/sim"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Script tests of the engine, in the style of etcd raft's interaction
// tests: each file under testdata/scripts is a scenario, command by
// command, with the trace it must produce. The engines run in the simulator
// with aligned rounds and every datagram held until a command delivers or
// drops it. Rewrite the expected output with
//
//	go test ./internal/gossip -run TestScripts -rewrite
//
// Commands (node arguments are indexes; node i is "n%04d" at "n%04d:7946"):
//
//	new n=N [packet=B] [compress] [tombstone=D] [dead-grace=D] [phi=F] [observers=K]
//	start I [join=J] [k=v ...]      start (or restart) node I
//	tick [N]                        advance N gossip intervals (default 1), holding datagrams
//	run D                           advance virtual time by D
//	deliver [from=I] [to=J] [type=T] [limit=K]
//	                                deliver held datagrams, printing each and what it caused
//	drop [from=I] [to=J] [type=T]   lose held datagrams
//	stabilize                       deliver until nothing is held, printing only events
//	rounds N                        N times: tick, then stabilize
//
// Any command given the argument quiet prints how many events it caused
// instead of the events.
//
//	set I k=v ...  | delete I k ... | leave I | crash I
//	partition I,J K,L ... | heal
//	cut I J | restore I J           drop (or no longer) every datagram from I to J
//	print-state I                   what node I holds: peers by status, versions, keys
//	print-alerts I                  the alerts node I holds, by subject, with H and L
//	print-observers I               node I's observers, as node 0 sees the rings
//
// Times print as offsets from the start of the simulation; generations as
// the offset of the start time they are.
type script struct {
	s      *sim.Sim
	opener *seal.Sealer
	cfg    gossip.Config
	events []string // events since the last command's output
}

func TestScripts(t *testing.T) {
	datadriven.Walk(t, "testdata/scripts", func(t *testing.T, path string) {
		sc := &script{}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out := sc.run(t, d)
			for _, n := range sc.s.Running() { // the incremental fingerprint stays exact
				require.NoError(t, n.Engine().CheckFingerprint(), "after %s", d.Pos)
			}
			return out
		})
	})
}

func (sc *script) run(t *testing.T, d *datadriven.TestData) string {
	if d.Cmd != "new" && sc.s == nil {
		d.Fatalf(t, "%s before new", d.Cmd)
	}
	var out strings.Builder
	switch d.Cmd {
	case "new":
		sc.newSim(t, d)
	case "start":
		i := sc.node(t, d, 0)
		var seeds []string
		if a, ok := d.Arg("join"); ok {
			j, _ := strconv.Atoi(a.SingleVal(t))
			seeds = []string{sc.s.Node(j).Addr()}
		}
		if err := sc.s.Start(i, seeds, kvArgs(d)); err != nil {
			d.Fatalf(t, "%v", err)
		}
	case "tick":
		k := 1
		if len(d.CmdArgs) > 0 {
			k, _ = strconv.Atoi(d.CmdArgs[0].Key)
		}
		sc.advance(t, time.Duration(k)*sc.cfg.GossipInterval)
		fmt.Fprintf(&out, "%d datagrams held\n", len(sc.s.Held()))
	case "run":
		dur, err := time.ParseDuration(d.CmdArgs[0].Key)
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		sc.advance(t, dur)
		fmt.Fprintf(&out, "%d datagrams held\n", len(sc.s.Held()))
	case "deliver":
		match := sc.matcher(t, d)
		limit := -1
		d.MaybeScanArgs(t, "limit", &limit)
		for _, h := range sc.s.Held() {
			if limit == 0 {
				break
			}
			if !match(h) {
				continue
			}
			limit--
			out.WriteString(sc.describe(h))
			sc.s.Deliver(func(x sim.Held) bool { return sameHeld(x, h) })
			sc.flushEvents(&out, "  ")
		}
	case "drop":
		match := sc.matcher(t, d)
		for _, h := range sc.s.Held() {
			if match(h) {
				out.WriteString("dropped " + sc.describe(h))
			}
		}
		sc.s.Drop(match)
	case "stabilize":
		n := sc.stabilize(t)
		fmt.Fprintf(&out, "%d datagrams delivered\n", n)
	case "rounds":
		k, err := strconv.Atoi(d.CmdArgs[0].Key)
		if err != nil {
			d.Fatalf(t, "rounds: %v", err)
		}
		for range k {
			sc.advance(t, sc.cfg.GossipInterval)
			sc.stabilize(t)
		}
	case "set":
		i := sc.node(t, d, 0)
		for k, v := range sortedKV(kvArgs(d)) {
			if err := sc.s.Set(i, k, v); err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
			}
		}
	case "delete":
		i := sc.node(t, d, 0)
		for _, a := range d.CmdArgs[1:] {
			sc.s.Delete(i, a.Key)
		}
	case "leave":
		sc.s.Leave(sc.node(t, d, 0), time.Minute)
	case "crash":
		sc.s.Crash(sc.node(t, d, 0))
	case "partition":
		var groups [][]int
		for _, a := range d.CmdArgs {
			var g []int
			for _, f := range strings.Split(a.Key, ",") {
				i, _ := strconv.Atoi(f)
				g = append(g, i)
			}
			groups = append(groups, g)
		}
		sc.s.Partition(groups...)
	case "heal":
		sc.s.Heal()
	case "print-state":
		out.WriteString(sc.state(sc.node(t, d, 0)))
	case "cut", "restore":
		a, b := sc.node(t, d, 0), sc.node(t, d, 1)
		if d.Cmd == "cut" {
			sc.s.Cut(a, b)
		} else {
			sc.s.Restore(a, b)
		}
	case "print-observers":
		i := sc.node(t, d, 0)
		fmt.Fprintf(&out, "%s: %s\n", sc.s.Node(i).ID(), strings.Join(sc.s.Node(0).Engine().ObserversOf(sc.s.Node(i).ID()), " "))
	case "print-alerts":
		out.WriteString(sc.s.Node(sc.node(t, d, 0)).Engine().Alerts())
	default:
		d.Fatalf(t, "unknown command %q", d.Cmd)
	}
	if err := sc.s.Err(); err != nil {
		d.Fatalf(t, "%v", err)
	}
	if d.HasArg("quiet") {
		if len(sc.events) > 0 {
			fmt.Fprintf(&out, "%d events\n", len(sc.events))
		}
		sc.events = sc.events[:0]
	}
	sc.flushEvents(&out, "")
	return out.String()
}

func (sc *script) newSim(t *testing.T, d *datadriven.TestData) {
	var n int
	d.ScanArgs(t, "n", &n)
	cfg := sim.DefaultConfig("")
	cfg.Compression = d.HasArg("compress")
	d.MaybeScanArgs(t, "packet", &cfg.MaxPacketSize)
	d.MaybeScanArgs(t, "phi", &cfg.Detector.PhiThreshold)
	d.MaybeScanArgs(t, "observers", &cfg.Observers)
	scanDuration(t, d, "tombstone", &cfg.TombstoneGracePeriod)
	scanDuration(t, d, "dead-grace", &cfg.DeadNodeGracePeriod)
	sc.cfg = cfg
	sc.s = sim.New(sim.Options{
		Nodes: n, Seed: 1, AlignedRounds: true, Hold: true,
		Config: func(id string) gossip.Config { c := cfg; c.ID = id; return c },
	})
	opener, err := seal.New(seal.Config{MaxPacketSize: cfg.MaxPacketSize})
	if err != nil {
		t.Fatal(err)
	}
	sc.opener = opener
	sc.s.OnEvent(func(o *sim.Node, ev gossip.Event) {
		sc.events = append(sc.events, fmt.Sprintf("+%v %s: %s", sc.s.Elapsed(), o.ID(), eventString(ev)))
	})
}

// advance runs virtual time forward by d, holding every datagram.
func (sc *script) advance(t *testing.T, d time.Duration) {
	if err := sc.s.RunFor(d); err != nil {
		t.Fatal(err)
	}
}

// stabilize delivers held datagrams, and the answers they cause, until none
// is held; it returns how many it delivered.
func (sc *script) stabilize(t *testing.T) int {
	total := 0
	for range 1000 {
		k := sc.s.Deliver(nil)
		if k == 0 {
			return total
		}
		total += k
	}
	t.Fatal("stabilize: still delivering after 1000 passes")
	return total
}

func (sc *script) flushEvents(out *strings.Builder, indent string) {
	for _, e := range sc.events {
		fmt.Fprintf(out, "%s%s\n", indent, e)
	}
	sc.events = sc.events[:0]
}

// node returns the node index at positional argument k.
func (sc *script) node(t *testing.T, d *datadriven.TestData, k int) int {
	if len(d.CmdArgs) <= k {
		d.Fatalf(t, "%s: want a node index", d.Cmd)
	}
	i, err := strconv.Atoi(d.CmdArgs[k].Key)
	if err != nil || i < 0 || i >= sc.s.Len() {
		d.Fatalf(t, "%s: bad node %q", d.Cmd, d.CmdArgs[k].Key)
	}
	return i
}

// matcher returns a filter of held datagrams by from=, to= and type=.
func (sc *script) matcher(t *testing.T, d *datadriven.TestData) func(sim.Held) bool {
	from, to := -1, -1
	typ := ""
	d.MaybeScanArgs(t, "from", &from)
	d.MaybeScanArgs(t, "to", &to)
	d.MaybeScanArgs(t, "type", &typ)
	return func(h sim.Held) bool {
		if from >= 0 && h.From != from {
			return false
		}
		if to >= 0 && h.To != sc.s.Node(to).Addr() {
			return false
		}
		if typ != "" && !strings.EqualFold(msgName(h.Data), typ) {
			return false
		}
		return true
	}
}

func sameHeld(a, b sim.Held) bool {
	return a.From == b.From && a.To == b.To && a.At == b.At && &a.Data[0] == &b.Data[0]
}

// describe renders a held datagram: sender, receiver, type, size and the
// decoded body.
func (sc *script) describe(h sim.Held) string {
	from := sc.s.Node(h.From).ID()
	to := strings.TrimSuffix(h.To, ":7946")
	hd, body, err := wire.ParseHeader(h.Data)
	if err != nil {
		return fmt.Sprintf("+%v %s->%s malformed (%v)\n", h.At, from, to, err)
	}
	prefix := fmt.Sprintf("+%v %s->%s %s %dB", h.At, from, to, msgName(h.Data), len(h.Data))
	if hd.Type == wire.MsgWrongCluster {
		return prefix + "\n"
	}
	plain, err := sc.opener.Open(h.Data[:len(h.Data)-len(body)], hd.Flags, body)
	if err != nil {
		return fmt.Sprintf("%s sealed (%v)\n", prefix, err)
	}
	var b strings.Builder
	b.WriteString(prefix)
	if hd.Flags&wire.FlagCompressed != 0 {
		b.WriteString(" compressed")
	}
	b.WriteString("\n")
	switch hd.Type {
	case wire.MsgSyn:
		var m wire.Syn
		if wire.DecodeSyn(plain, &m) == nil {
			b.WriteString(digestString(&m.Digest))
		}
	case wire.MsgSynAck:
		var m wire.SynAck
		if wire.DecodeSynAck(plain, &m) == nil {
			b.WriteString(digestString(&m.Digest))
			b.WriteString(deltaString(&m.Delta))
		}
	case wire.MsgAck:
		var m wire.Ack
		if wire.DecodeAck(plain, &m) == nil {
			b.WriteString(deltaString(&m.Delta))
		}
	case wire.MsgHeartbeat:
		var m wire.Heartbeat
		if wire.DecodeHeartbeat(plain, &m) == nil {
			fmt.Fprintf(&b, "  heartbeat %s seq %d since %d, heard %d, subjects %d, v%d\n", gen(m.Generation), m.Seq, m.Since, m.Heard, m.Subjects, m.MaxVersion)
		}
	case wire.MsgPush:
		var m wire.Push
		if wire.DecodePush(plain, &m) == nil {
			fmt.Fprintf(&b, "  hops %d\n", m.Hops)
			b.WriteString(deltaString(&m.Delta))
		}
	case wire.MsgSum:
		var m wire.Sum
		if wire.DecodeSum(plain, &m) == nil {
			answer := ""
			if m.Answer {
				answer = ", answer"
			}
			fmt.Fprintf(&b, "  sum %s of %d nodes: %016x%s\n", gen(m.Generation), m.Nodes, m.Fingerprint, answer)
		}
	case wire.MsgRanges:
		var m wire.Ranges
		if wire.DecodeRanges(plain, &m) == nil {
			b.WriteString(rangesString("ranges", m.Ranges, true))
			if len(m.Covered) > 0 {
				b.WriteString(rangesString("covered", m.Covered, false))
				b.WriteString(digestString(&m.Digest))
			}
		}
	}
	return b.String()
}

// rangesString renders ranges as depth/prefix, in hex, with their node
// counts when counts is set (fingerprints are left out).
func rangesString(what string, rs []wire.Range, counts bool) string {
	if len(rs) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "  %s:", what)
	for _, r := range rs {
		fmt.Fprintf(&b, " %d/%x", r.Depth, r.Prefix)
		if counts {
			fmt.Fprintf(&b, "=%d", r.Nodes)
		}
	}
	b.WriteString("\n")
	return b.String()
}

func msgName(data []byte) string {
	hd, _, err := wire.ParseHeader(data)
	if err != nil {
		return "?"
	}
	switch hd.Type {
	case wire.MsgSyn:
		return "Syn"
	case wire.MsgSynAck:
		return "SynAck"
	case wire.MsgAck:
		return "Ack"
	case wire.MsgWrongCluster:
		return "WrongCluster"
	case wire.MsgHeartbeat:
		return "Heartbeat"
	case wire.MsgPush:
		return "Push"
	case wire.MsgUnauthenticated:
		return "Unauthenticated"
	case wire.MsgSum:
		return "Sum"
	case wire.MsgRanges:
		return "Ranges"
	}
	return fmt.Sprint(hd.Type)
}

// gen renders a generation as the virtual start time it encodes.
func gen(g uint64) string {
	if g == 0 {
		return "g?"
	}
	return "g+" + time.Duration(int64(g)-sim.Start.UnixNano()).String()
}

func digestString(d *wire.Digest) string {
	kind := "partial"
	if d.Complete {
		kind = "complete"
	}
	var parts []string
	for _, e := range d.Entries {
		if e.Generation == 0 {
			parts = append(parts, e.ID+"(wanted)")
			continue
		}
		p := fmt.Sprintf("%s(%s v%d", e.ID, gen(e.Generation), e.MaxVersion)
		if e.GCVersion > 0 {
			p += fmt.Sprintf(" gc%d", e.GCVersion)
		}
		if e.Flags&wire.DigestRemoved != 0 {
			p += " removed"
		}
		parts = append(parts, p+")")
	}
	return fmt.Sprintf("  digest %s: %s\n", kind, strings.Join(parts, " "))
}

func deltaString(d *wire.Delta) string {
	if len(d.Nodes) == 0 {
		return "  delta: empty\n"
	}
	var b strings.Builder
	for _, nd := range d.Nodes {
		fmt.Fprintf(&b, "  delta %s(%s from v%d", nd.ID, gen(nd.Generation), nd.FromVersion)
		if nd.Reset {
			fmt.Fprintf(&b, " reset gc%d", nd.GCVersion)
		}
		switch {
		case len(nd.Entries) == 0 && !nd.Reset:
			b.WriteString(" no entries")
		case nd.MaxVersion == 0:
			b.WriteString(" cut")
		default:
			fmt.Fprintf(&b, " max v%d", nd.MaxVersion)
		}
		b.WriteString(")")
		for _, e := range nd.Entries {
			key := keyString(e.Key)
			switch {
			case e.Status == wire.StatusSet && strings.HasPrefix(e.Key, "\x00a"):
				g, _ := strconv.ParseUint(e.Value, 10, 64)
				fmt.Fprintf(&b, " %s=%s@%d", key, gen(g), e.Version)
			case e.Status == wire.StatusSet:
				fmt.Fprintf(&b, " %s=%s@%d", key, e.Value, e.Version)
			case e.Status == wire.StatusDeleted:
				fmt.Fprintf(&b, " %s=<deleted>@%d", key, e.Version)
			default:
				fmt.Fprintf(&b, " <left>@%d", e.Version)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// keyString renders a key; reserved keys by their meaning.
func keyString(k string) string {
	switch {
	case strings.HasPrefix(k, "\x00a"):
		return "<alert " + k[2:] + ">"
	case k == "\x00p":
		return "<probation over>"
	}
	return k
}

func eventString(ev gossip.Event) string {
	name := [...]string{gossip.NodeLive: "NodeLive", gossip.NodeDead: "NodeDead", gossip.NodeUpdate: "NodeUpdate", gossip.KeyChanged: "KeyChanged", gossip.NodeConflict: "NodeConflict"}[ev.Type]
	s := fmt.Sprintf("%s %s %s", name, ev.Node.ID, gen(ev.Generation))
	if r := reasonString(ev.Reason); r != "" {
		s += " (" + r + ")"
	}
	return s
}

func reasonString(r gossip.Reason) string {
	return [...]string{"", "first seen", "recovered", "restarted", "suspected", "left", "collected"}[r]
}

// state renders what node i holds.
func (sc *script) state(i int) string {
	n := sc.s.Node(i)
	e := n.Engine()
	if e == nil {
		return n.ID() + " is down\n"
	}
	var b strings.Builder
	ids := func(ns []gossip.Node) string {
		var s []string
		for _, x := range ns {
			s = append(s, x.ID)
		}
		if len(s) == 0 {
			return "-"
		}
		return strings.Join(s, " ")
	}
	live, pending, dead := e.Census()
	fmt.Fprintf(&b, "%s at +%v: live %s; dead %s; %d live, %d pending, %d dead\n", n.ID(), sc.s.Elapsed(), ids(e.LiveNodes()), ids(e.DeadNodes()), live, pending, dead)
	for _, x := range sc.s.Nodes() {
		maxV, gc, ok := e.Versions(x.ID())
		if !ok {
			continue
		}
		kv, _ := e.NodeState(x.ID())
		v, _ := e.NodeVersion(x.ID(), sc.s.Now())
		fmt.Fprintf(&b, "  %s %s v%d", x.ID(), gen(v.Generation), maxV)
		if gc > 0 {
			fmt.Fprintf(&b, " gc%d", gc)
		}
		for k, val := range sortedKV(kv) {
			fmt.Fprintf(&b, " %s=%s", k, val)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// kvArgs returns the k=v arguments of d.
func kvArgs(d *datadriven.TestData) map[string]string {
	kv := map[string]string{}
	for _, a := range d.CmdArgs {
		if len(a.Vals) == 1 && a.Key != "join" {
			kv[a.Key] = a.Vals[0]
		}
	}
	return kv
}

// sortedKV iterates over kv in key order.
func sortedKV(kv map[string]string) func(func(string, string) bool) {
	return func(yield func(string, string) bool) {
		keys := make([]string, 0, len(kv))
		for k := range kv {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !yield(k, kv[k]) {
				return
			}
		}
	}
}

func scanDuration(t *testing.T, d *datadriven.TestData, key string, dst *time.Duration) {
	var s string
	if d.MaybeScanArgs(t, key, &s) {
		v, err := time.ParseDuration(s)
		if err != nil {
			d.Fatalf(t, "%s: %v", key, err)
		}
		*dst = v
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// The JSON form of a gossip message, read by inject and printed for each
// reply. Field names follow internal/wire; the header's cluster ID is
// "cluster" and its message type "type". A heartbeat carries generation,
// seq, heard, subjects and max_version; a push hops and a delta; a sum
// generation, nodes, fingerprint and answer; a ranges generation, ranges,
// covered and a digest.
//
//	{"type": "syn", "from": "probe",
//	 "digest": {"complete": true, "entries": [
//	   {"id": "a", "generation": 1, "flags": 0, "max_version": 3, "gc_version": 0}]}}
//
//	{"type": "ack", "from": "probe",
//	 "delta": {"nodes": [{"id": "probe", "addr": "10.0.0.9:9111", "generation": 1,
//	   "flags": 0, "from_version": 0, "max_version": 1, "gc_version": 0, "reset": false,
//	   "entries": [{"key": "role", "value": "probe", "version": 1, "status": "set"}]}]}}

// messageJSON is one gossip message.
type messageJSON struct {
	// Type is "syn", "synack", "ack", "heartbeat", "push", "sum", "ranges"
	// or, in replies only, "wrongcluster" or "unauthenticated" (the node
	// could not authenticate what was sent: a key or encryption mismatch).
	Type string `json:"type"`
	// Cluster is the header's cluster ID; in input, empty means -cluster.
	Cluster string `json:"cluster,omitempty"`
	// Source is, in replies, the address the datagram came from.
	Source string `json:"source,omitempty"`
	// Flags are, in replies, the header flags: "compressed", "encrypted".
	Flags []string `json:"flags,omitempty"`
	// Bytes is, in replies, the datagram's size.
	Bytes  int         `json:"bytes,omitempty"`
	From   string      `json:"from,omitempty"`
	Digest *digestJSON `json:"digest,omitempty"` // syn, synack, ranges
	Delta  *deltaJSON  `json:"delta,omitempty"`  // synack, ack, push
	// Heartbeat fields.
	Generation uint64 `json:"generation,omitempty"`
	Seq        uint64 `json:"seq,omitempty"`
	Since      uint64 `json:"since,omitempty"`
	Heard      uint64 `json:"heard,omitempty"`
	Subjects   uint64 `json:"subjects,omitempty"`
	MaxVersion uint64 `json:"max_version,omitempty"`
	// Hops is a push's forward count.
	Hops uint64 `json:"hops,omitempty"`
	// Sum fields (and Generation): the size and fingerprint of the
	// sender's view, and whether it answers a Sum that matched.
	Nodes       uint64 `json:"nodes,omitempty"`
	Fingerprint uint64 `json:"fingerprint,omitempty"`
	Answer      bool   `json:"answer,omitempty"`
	// Ranges fields (and Generation, Digest): range fingerprints to
	// compare, and the ranges whose every node the digest lists.
	Ranges  []rangeJSON `json:"ranges,omitempty"`
	Covered []rangeJSON `json:"covered,omitempty"`
	// Error is, in replies, why the datagram could not be read.
	Error string `json:"error,omitempty"`
}

// rangeJSON is a part of the ID space (see wire.Range).
type rangeJSON struct {
	Depth       uint64 `json:"depth"`
	Prefix      uint64 `json:"prefix"`
	Nodes       uint64 `json:"nodes"`
	Fingerprint uint64 `json:"fingerprint"`
}

func rangesToWire(rs []rangeJSON) []wire.Range {
	if rs == nil {
		return nil
	}
	out := make([]wire.Range, len(rs))
	for i, r := range rs {
		out[i] = wire.Range{Depth: r.Depth, Prefix: r.Prefix, Nodes: r.Nodes, Fingerprint: r.Fingerprint}
	}
	return out
}

func rangesFromWire(rs []wire.Range) []rangeJSON {
	if len(rs) == 0 {
		return nil
	}
	out := make([]rangeJSON, len(rs))
	for i, r := range rs {
		out[i] = rangeJSON{Depth: r.Depth, Prefix: r.Prefix, Nodes: r.Nodes, Fingerprint: r.Fingerprint}
	}
	return out
}

type digestJSON struct {
	Complete bool              `json:"complete"`
	Entries  []digestEntryJSON `json:"entries"`
}

type digestEntryJSON struct {
	ID         string `json:"id"`
	Generation uint64 `json:"generation"`
	Flags      uint64 `json:"flags"`
	MaxVersion uint64 `json:"max_version"`
	GCVersion  uint64 `json:"gc_version"`
}

type deltaJSON struct {
	Nodes []nodeDeltaJSON `json:"nodes"`
}

type nodeDeltaJSON struct {
	ID          string      `json:"id"`
	Addr        string      `json:"addr,omitempty"`
	Generation  uint64      `json:"generation"`
	Flags       uint64      `json:"flags"`
	FromVersion uint64      `json:"from_version"`
	MaxVersion  uint64      `json:"max_version"`
	GCVersion   uint64      `json:"gc_version"`
	Reset       bool        `json:"reset,omitempty"`
	Entries     []entryJSON `json:"entries"`
}

type entryJSON struct {
	Key     string `json:"key"`
	Value   string `json:"value,omitempty"`
	Version uint64 `json:"version"`
	// Status is "set", "deleted" or "left".
	Status string `json:"status"`
}

var msgTypes = map[string]wire.MsgType{
	"syn": wire.MsgSyn, "synack": wire.MsgSynAck, "ack": wire.MsgAck, "wrongcluster": wire.MsgWrongCluster,
	"heartbeat": wire.MsgHeartbeat, "push": wire.MsgPush, "unauthenticated": wire.MsgUnauthenticated,
	"sum": wire.MsgSum, "ranges": wire.MsgRanges,
}

var statusNames = map[uint8]string{wire.StatusSet: "set", wire.StatusDeleted: "deleted", wire.StatusLeft: "left"}

// parseMessage reads one message from JSON; unknown fields are errors, so
// that a typo is not silently ignored.
func parseMessage(data []byte) (*messageJSON, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m messageJSON
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("message JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("message JSON: more than one value")
	}
	m.Type = strings.ToLower(m.Type)
	switch m.Type {
	case "syn", "synack", "ack", "heartbeat", "push", "sum", "ranges":
	case "":
		return nil, errors.New(`message JSON: no "type" (syn, synack, ack, heartbeat, push, sum or ranges)`)
	default:
		return nil, fmt.Errorf("message JSON: type %q: want syn, synack, ack, heartbeat, push, sum or ranges", m.Type)
	}
	hasHeartbeat := m.Seq != 0 || m.Since != 0 || m.Heard != 0 || m.Subjects != 0 || m.MaxVersion != 0 ||
		m.Generation != 0 && m.Type != "sum" && m.Type != "ranges"
	switch {
	case m.Delta != nil && (m.Type == "syn" || m.Type == "heartbeat" || m.Type == "sum" || m.Type == "ranges"):
		return nil, fmt.Errorf("message JSON: a %s has no delta", m.Type)
	case (m.Nodes != 0 || m.Fingerprint != 0 || m.Answer) && m.Type != "sum":
		return nil, fmt.Errorf("message JSON: nodes, fingerprint and answer are a sum's, not a %s's", m.Type)
	case (m.Ranges != nil || m.Covered != nil) && m.Type != "ranges":
		return nil, fmt.Errorf("message JSON: ranges and covered are a ranges', not a %s's", m.Type)
	case m.Digest != nil && m.Type != "syn" && m.Type != "synack" && m.Type != "ranges":
		return nil, fmt.Errorf("message JSON: a %s has no digest", m.Type)
	case hasHeartbeat && m.Type != "heartbeat":
		return nil, fmt.Errorf("message JSON: generation, seq, heard, subjects and max_version are a heartbeat's, not a %s's", m.Type)
	case m.Hops != 0 && m.Type != "push":
		return nil, fmt.Errorf("message JSON: hops is a push's, not a %s's", m.Type)
	}
	return &m, nil
}

// body encodes the message's body, and returns its type.
func (m *messageJSON) body() (wire.MsgType, []byte, error) {
	t := msgTypes[m.Type]
	switch t {
	case wire.MsgSyn:
		return t, wire.AppendSyn(nil, &wire.Syn{From: m.From, Digest: m.Digest.wire()}), nil
	case wire.MsgSynAck:
		d, err := m.Delta.wire()
		if err != nil {
			return 0, nil, err
		}
		return t, wire.AppendSynAck(nil, &wire.SynAck{From: m.From, Digest: m.Digest.wire(), Delta: d}), nil
	case wire.MsgAck:
		d, err := m.Delta.wire()
		if err != nil {
			return 0, nil, err
		}
		return t, wire.AppendAck(nil, &wire.Ack{From: m.From, Delta: d}), nil
	case wire.MsgHeartbeat:
		return t, wire.AppendHeartbeat(nil, &wire.Heartbeat{From: m.From, Generation: m.Generation, Seq: m.Seq,
			Since: m.Since, Heard: m.Heard, Subjects: m.Subjects, MaxVersion: m.MaxVersion}), nil
	case wire.MsgPush:
		d, err := m.Delta.wire()
		if err != nil {
			return 0, nil, err
		}
		return t, wire.AppendPush(nil, &wire.Push{From: m.From, Hops: m.Hops, Delta: d}), nil
	case wire.MsgSum:
		return t, wire.AppendSum(nil, &wire.Sum{From: m.From, Generation: m.Generation, Nodes: m.Nodes, Fingerprint: m.Fingerprint, Answer: m.Answer}), nil
	case wire.MsgRanges:
		d := wire.Digest{}
		if m.Digest != nil {
			d = m.Digest.wire()
		}
		return t, wire.AppendRanges(nil, &wire.Ranges{From: m.From, Generation: m.Generation, Ranges: rangesToWire(m.Ranges),
			Covered: rangesToWire(m.Covered), Digest: d}), nil
	}
	return 0, nil, fmt.Errorf("cannot send a %q message", m.Type)
}

func (d *digestJSON) wire() wire.Digest {
	if d == nil {
		return wire.Digest{Complete: true, Entries: []wire.DigestEntry{}}
	}
	out := wire.Digest{Complete: d.Complete, Entries: make([]wire.DigestEntry, 0, len(d.Entries))}
	for _, e := range d.Entries {
		out.Entries = append(out.Entries, wire.DigestEntry{ID: e.ID, Generation: e.Generation, Flags: e.Flags, MaxVersion: e.MaxVersion, GCVersion: e.GCVersion})
	}
	return out
}

func (d *deltaJSON) wire() (wire.Delta, error) {
	out := wire.Delta{Nodes: []wire.NodeDelta{}}
	if d == nil {
		return out, nil
	}
	for _, n := range d.Nodes {
		nd := wire.NodeDelta{ID: n.ID, Addr: n.Addr, Generation: n.Generation, Flags: n.Flags, FromVersion: n.FromVersion,
			MaxVersion: n.MaxVersion, GCVersion: n.GCVersion, Reset: n.Reset, Entries: make([]wire.Entry, 0, len(n.Entries))}
		for _, e := range n.Entries {
			st, err := parseStatus(e.Status)
			if err != nil {
				return wire.Delta{}, fmt.Errorf("node %q, key %q: %w", n.ID, e.Key, err)
			}
			nd.Entries = append(nd.Entries, wire.Entry{Key: e.Key, Value: e.Value, Version: e.Version, Status: st})
		}
		out.Nodes = append(out.Nodes, nd)
	}
	return out, nil
}

// parseStatus reads an entry status; empty means "set".
func parseStatus(s string) (uint8, error) {
	if s == "" {
		return wire.StatusSet, nil
	}
	for code, name := range statusNames {
		if strings.EqualFold(s, name) {
			return code, nil
		}
	}
	return 0, fmt.Errorf("status %q: want set, deleted or left", s)
}

// decodeMessage decodes the plain body of a received message of type t.
func decodeMessage(t wire.MsgType, body []byte) (*messageJSON, error) {
	m := &messageJSON{}
	switch t {
	case wire.MsgSyn:
		var s wire.Syn
		if err := wire.DecodeSyn(body, &s); err != nil {
			return nil, err
		}
		m.Type, m.From, m.Digest = "syn", s.From, digestFromWire(&s.Digest)
	case wire.MsgSynAck:
		var s wire.SynAck
		if err := wire.DecodeSynAck(body, &s); err != nil {
			return nil, err
		}
		m.Type, m.From, m.Digest, m.Delta = "synack", s.From, digestFromWire(&s.Digest), deltaFromWire(&s.Delta)
	case wire.MsgAck:
		var a wire.Ack
		if err := wire.DecodeAck(body, &a); err != nil {
			return nil, err
		}
		m.Type, m.From, m.Delta = "ack", a.From, deltaFromWire(&a.Delta)
	case wire.MsgHeartbeat:
		var h wire.Heartbeat
		if err := wire.DecodeHeartbeat(body, &h); err != nil {
			return nil, err
		}
		m.Type, m.From, m.Generation, m.Seq, m.Since, m.Heard, m.Subjects, m.MaxVersion = "heartbeat", h.From, h.Generation, h.Seq, h.Since, h.Heard, h.Subjects, h.MaxVersion
	case wire.MsgPush:
		var p wire.Push
		if err := wire.DecodePush(body, &p); err != nil {
			return nil, err
		}
		m.Type, m.From, m.Hops, m.Delta = "push", p.From, p.Hops, deltaFromWire(&p.Delta)
	case wire.MsgSum:
		var s wire.Sum
		if err := wire.DecodeSum(body, &s); err != nil {
			return nil, err
		}
		m.Type, m.From, m.Generation, m.Nodes, m.Fingerprint, m.Answer = "sum", s.From, s.Generation, s.Nodes, s.Fingerprint, s.Answer
	case wire.MsgRanges:
		var r wire.Ranges
		if err := wire.DecodeRanges(body, &r); err != nil {
			return nil, err
		}
		m.Type, m.From, m.Generation, m.Ranges, m.Covered = "ranges", r.From, r.Generation, rangesFromWire(r.Ranges), rangesFromWire(r.Covered)
		if len(r.Digest.Entries) > 0 {
			m.Digest = digestFromWire(&r.Digest)
		}
	case wire.MsgWrongCluster:
		m.Type = "wrongcluster"
	case wire.MsgUnauthenticated:
		m.Type = "unauthenticated"
	default:
		return nil, fmt.Errorf("message type %d", t)
	}
	return m, nil
}

func digestFromWire(d *wire.Digest) *digestJSON {
	out := &digestJSON{Complete: d.Complete, Entries: make([]digestEntryJSON, 0, len(d.Entries))}
	for _, e := range d.Entries {
		out.Entries = append(out.Entries, digestEntryJSON{ID: e.ID, Generation: e.Generation, Flags: e.Flags, MaxVersion: e.MaxVersion, GCVersion: e.GCVersion})
	}
	return out
}

func deltaFromWire(d *wire.Delta) *deltaJSON {
	out := &deltaJSON{Nodes: make([]nodeDeltaJSON, 0, len(d.Nodes))}
	for _, n := range d.Nodes {
		nd := nodeDeltaJSON{ID: n.ID, Addr: n.Addr, Generation: n.Generation, Flags: n.Flags, FromVersion: n.FromVersion,
			MaxVersion: n.MaxVersion, GCVersion: n.GCVersion, Reset: n.Reset, Entries: make([]entryJSON, 0, len(n.Entries))}
		for _, e := range n.Entries {
			st, ok := statusNames[e.Status]
			if !ok {
				st = fmt.Sprint(e.Status)
			}
			nd.Entries = append(nd.Entries, entryJSON{Key: e.Key, Value: e.Value, Version: e.Version, Status: st})
		}
		out.Nodes = append(out.Nodes, nd)
	}
	return out
}

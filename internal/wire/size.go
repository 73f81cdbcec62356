package wire

// Exact msgpack sizes, computed without encoding. Builders add entries
// while size+next <= budget, so every function here must agree to the byte
// with the encoders; size_test.go checks that over random messages.

// BoolSize is the encoded size of a bool.
const BoolSize = 1

// Field counts of the structs, each encoded as an array of its fields.
const (
	digestEntryFields = 5
	digestFields      = 2
	entryFields       = 4
	nodeDeltaFields   = 9
	deltaFields       = 1
	synFields         = 2
	synAckFields      = 3
	ackFields         = 2
	heartbeatFields   = 7
	pushFields        = 3
	sumFields         = 5
	rangeFields       = 4
	rangesFields      = 5
)

// UintSize is the encoded size of the unsigned integer v: 1 for a positive
// fixint (v <= 127), then 2, 3, 5 or 9 for uint8, uint16, uint32, uint64.
func UintSize(v uint64) int {
	switch {
	case v <= 0x7f:
		return 1
	case v <= 0xff:
		return 2
	case v <= 0xffff:
		return 3
	case v <= 0xffffffff:
		return 5
	default:
		return 9
	}
}

// StrSize is the encoded size of a string of n bytes: fixstr below 32,
// str8 below 256, str16 below 65536, else str32.
func StrSize(n int) int {
	switch {
	case n < 32:
		return 1 + n
	case n < 0x100:
		return 2 + n
	case n < 0x10000:
		return 3 + n
	default:
		return 5 + n
	}
}

// ArrayHeaderSize is the size of the header of an array of n elements:
// fixarray below 16, array16 below 65536, else array32. A nil slice is
// encoded as msgpack nil, which is one byte like an empty fixarray, so
// ArrayHeaderSize(0) holds for both.
func ArrayHeaderSize(n int) int {
	switch {
	case n < 16:
		return 1
	case n < 0x10000:
		return 3
	default:
		return 5
	}
}

// Size is the encoded size of e.
func (e *DigestEntry) Size() int {
	return ArrayHeaderSize(digestEntryFields) + StrSize(len(e.ID)) +
		UintSize(e.Generation) + UintSize(e.Flags) +
		UintSize(e.MaxVersion) + UintSize(e.GCVersion)
}

// DigestOverhead is the encoded size of a Digest with n entries, less the
// entries themselves: the struct's array header, Complete and the entries'
// array header.
func DigestOverhead(n int) int {
	return ArrayHeaderSize(digestFields) + BoolSize + ArrayHeaderSize(n)
}

// Size is the encoded size of d.
func (d *Digest) Size() int {
	n := DigestOverhead(len(d.Entries))
	for i := range d.Entries {
		n += d.Entries[i].Size()
	}
	return n
}

// Size is the encoded size of e.
func (e *Entry) Size() int {
	return ArrayHeaderSize(entryFields) + StrSize(len(e.Key)) + StrSize(len(e.Value)) +
		UintSize(e.Version) + UintSize(uint64(e.Status))
}

// FixedSize is the encoded size of nd without its Entries: the struct's
// array header and every other field. The full size with k entries is
// FixedSize() + ArrayHeaderSize(k) + the entries' sizes.
func (nd *NodeDelta) FixedSize() int {
	return ArrayHeaderSize(nodeDeltaFields) + StrSize(len(nd.ID)) + StrSize(len(nd.Addr)) +
		UintSize(nd.Generation) + UintSize(nd.Flags) + UintSize(nd.FromVersion) +
		UintSize(nd.MaxVersion) + UintSize(nd.GCVersion) + BoolSize
}

// Size is the encoded size of nd.
func (nd *NodeDelta) Size() int {
	n := nd.FixedSize() + ArrayHeaderSize(len(nd.Entries))
	for i := range nd.Entries {
		n += nd.Entries[i].Size()
	}
	return n
}

// DeltaOverhead is the encoded size of a Delta with n node deltas, less
// the node deltas themselves.
func DeltaOverhead(n int) int {
	return ArrayHeaderSize(deltaFields) + ArrayHeaderSize(n)
}

// Size is the encoded size of d.
func (d *Delta) Size() int {
	n := DeltaOverhead(len(d.Nodes))
	for i := range d.Nodes {
		n += d.Nodes[i].Size()
	}
	return n
}

// SynOverhead is the encoded size of a Syn body from the given sender,
// less its Digest.
func SynOverhead(from string) int { return ArrayHeaderSize(synFields) + StrSize(len(from)) }

// SynAckOverhead is the encoded size of a SynAck body from the given
// sender, less its Digest and Delta.
func SynAckOverhead(from string) int { return ArrayHeaderSize(synAckFields) + StrSize(len(from)) }

// AckOverhead is the encoded size of an Ack body from the given sender,
// less its Delta.
func AckOverhead(from string) int { return ArrayHeaderSize(ackFields) + StrSize(len(from)) }

// Size is the encoded size of the body m, as AppendSyn writes it.
func (m *Syn) Size() int { return SynOverhead(m.From) + m.Digest.Size() }

// Size is the encoded size of the body m, as AppendSynAck writes it.
func (m *SynAck) Size() int { return SynAckOverhead(m.From) + m.Digest.Size() + m.Delta.Size() }

// Size is the encoded size of the body m, as AppendAck writes it.
func (m *Ack) Size() int { return AckOverhead(m.From) + m.Delta.Size() }

// Size is the encoded size of the body m, as AppendHeartbeat writes it.
func (m *Heartbeat) Size() int {
	return ArrayHeaderSize(heartbeatFields) + StrSize(len(m.From)) + UintSize(m.Generation) +
		UintSize(m.Seq) + UintSize(m.Since) + UintSize(m.Heard) + UintSize(m.Subjects) + UintSize(m.MaxVersion)
}

// PushOverhead is the encoded size of a Push body from the given sender at
// the given hop count, less its Delta.
func PushOverhead(from string, hops uint64) int {
	return ArrayHeaderSize(pushFields) + StrSize(len(from)) + UintSize(hops)
}

// Size is the encoded size of the body m, as AppendPush writes it.
func (m *Push) Size() int { return PushOverhead(m.From, m.Hops) + m.Delta.Size() }

// Size is the encoded size of the body m, as AppendSum writes it.
func (m *Sum) Size() int {
	return ArrayHeaderSize(sumFields) + StrSize(len(m.From)) + UintSize(m.Generation) +
		UintSize(m.Nodes) + UintSize(m.Fingerprint) + BoolSize
}

// Size is the encoded size of r.
func (r *Range) Size() int {
	return ArrayHeaderSize(rangeFields) + UintSize(r.Depth) + UintSize(r.Prefix) + UintSize(r.Nodes) + UintSize(r.Fingerprint)
}

// RangesOverhead is the encoded size of a Ranges body from the given
// sender and incarnation with r ranges and c covered ranges, less the
// ranges themselves and the Digest.
func RangesOverhead(from string, generation uint64, r, c int) int {
	return ArrayHeaderSize(rangesFields) + StrSize(len(from)) + UintSize(generation) + ArrayHeaderSize(r) + ArrayHeaderSize(c)
}

// Size is the encoded size of the body m, as AppendRanges writes it.
func (m *Ranges) Size() int {
	n := RangesOverhead(m.From, m.Generation, len(m.Ranges), len(m.Covered)) + m.Digest.Size()
	for i := range m.Ranges {
		n += m.Ranges[i].Size()
	}
	for i := range m.Covered {
		n += m.Covered[i].Size()
	}
	return n
}

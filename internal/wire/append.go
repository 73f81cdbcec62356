package wire

// Hand-written msgpack encoder. It writes exactly the bytes go-msgpack's
// MsgpackHandle (WriteExt = true) writes for the same values, including
// msgpack nil for a nil slice; codec_test.go checks that over random
// messages.

// msgpack format bytes used by the encoder and the validator.
const (
	mpPosFixIntMax = 0x7f
	mpFixArray     = 0x90
	mpFixArrayMax  = 0x9f
	mpFixStr       = 0xa0
	mpFixStrMax    = 0xbf
	mpNil          = 0xc0
	mpFalse        = 0xc2
	mpTrue         = 0xc3
	mpUint8        = 0xcc
	mpUint16       = 0xcd
	mpUint32       = 0xce
	mpUint64       = 0xcf
	mpStr8         = 0xd9
	mpStr16        = 0xda
	mpStr32        = 0xdb
	mpArray16      = 0xdc
	mpArray32      = 0xdd
)

func appendUint(dst []byte, v uint64) []byte {
	switch {
	case v <= mpPosFixIntMax:
		return append(dst, byte(v))
	case v <= 0xff:
		return append(dst, mpUint8, byte(v))
	case v <= 0xffff:
		return append(dst, mpUint16, byte(v>>8), byte(v))
	case v <= 0xffffffff:
		return append(dst, mpUint32, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return append(dst, mpUint64, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
			byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

func appendStr(dst []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		dst = append(dst, mpFixStr|byte(n))
	case n < 0x100:
		dst = append(dst, mpStr8, byte(n))
	case n < 0x10000:
		dst = append(dst, mpStr16, byte(n>>8), byte(n))
	default:
		dst = append(dst, mpStr32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, s...)
}

func appendArrayHeader(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, mpFixArray|byte(n))
	case n < 0x10000:
		return append(dst, mpArray16, byte(n>>8), byte(n))
	default:
		return append(dst, mpArray32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// appendSliceHeader writes the header of a slice field: msgpack nil for a
// nil slice, as go-msgpack does, else an array header.
func appendSliceHeader(dst []byte, isNil bool, n int) []byte {
	if isNil {
		return append(dst, mpNil)
	}
	return appendArrayHeader(dst, n)
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, mpTrue)
	}
	return append(dst, mpFalse)
}

func appendDigestEntry(dst []byte, e *DigestEntry) []byte {
	dst = append(dst, mpFixArray|digestEntryFields)
	dst = appendStr(dst, e.ID)
	dst = appendUint(dst, e.Generation)
	dst = appendUint(dst, e.Flags)
	dst = appendUint(dst, e.MaxVersion)
	return appendUint(dst, e.GCVersion)
}

func appendDigest(dst []byte, d *Digest) []byte {
	dst = append(dst, mpFixArray|digestFields)
	dst = appendBool(dst, d.Complete)
	dst = appendSliceHeader(dst, d.Entries == nil, len(d.Entries))
	for i := range d.Entries {
		dst = appendDigestEntry(dst, &d.Entries[i])
	}
	return dst
}

func appendEntry(dst []byte, e *Entry) []byte {
	dst = append(dst, mpFixArray|entryFields)
	dst = appendStr(dst, e.Key)
	dst = appendStr(dst, e.Value)
	dst = appendUint(dst, e.Version)
	return appendUint(dst, uint64(e.Status))
}

func appendNodeDelta(dst []byte, nd *NodeDelta) []byte {
	dst = append(dst, mpFixArray|nodeDeltaFields)
	dst = appendStr(dst, nd.ID)
	dst = appendStr(dst, nd.Addr)
	dst = appendUint(dst, nd.Generation)
	dst = appendUint(dst, nd.Flags)
	dst = appendUint(dst, nd.FromVersion)
	dst = appendUint(dst, nd.MaxVersion)
	dst = appendUint(dst, nd.GCVersion)
	dst = appendBool(dst, nd.Reset)
	dst = appendSliceHeader(dst, nd.Entries == nil, len(nd.Entries))
	for i := range nd.Entries {
		dst = appendEntry(dst, &nd.Entries[i])
	}
	return dst
}

func appendDelta(dst []byte, d *Delta) []byte {
	dst = append(dst, mpFixArray|deltaFields)
	dst = appendSliceHeader(dst, d.Nodes == nil, len(d.Nodes))
	for i := range d.Nodes {
		dst = appendNodeDelta(dst, &d.Nodes[i])
	}
	return dst
}

func appendRangeList(dst []byte, rs []Range) []byte {
	dst = appendSliceHeader(dst, rs == nil, len(rs))
	for i := range rs {
		r := &rs[i]
		dst = append(dst, mpFixArray|rangeFields)
		dst = appendUint(dst, r.Depth)
		dst = appendUint(dst, r.Prefix)
		dst = appendUint(dst, r.Nodes)
		dst = appendUint(dst, r.Fingerprint)
	}
	return dst
}

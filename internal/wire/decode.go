package wire

import (
	"encoding/binary"
	"fmt"
)

// Hand-written msgpack decoder. It walks a body once against the schema,
// checking its structure and filling the message structs as it goes.
//
// The wire format is strict, stricter than msgpack decoders usually are:
// every struct must be an array of exactly its field count (no maps of
// field names, no missing or extra fields); strings must use a str format
// (not nil, not bin); integers an unsigned format whose value fits the
// field; booleans true or false; slices an array or nil. Every declared
// length must fit in the bytes that remain, so a hostile length is refused
// before anything is allocated, and the message must end exactly at the
// end of the body. Nesting is fixed by the schema, so no input can make
// the decoder recurse deeper than the structs are.
//
// Errors say at which byte and what was wrong, and wrap ErrTruncated when
// the body ends early or declares a length longer than what is left, else
// ErrMalformed.
//
// A msgpack nil slice decodes as a nil slice and an empty array as an
// empty non-nil one, as go-msgpack decodes them; a slice is allocated once,
// at its declared length. Each string is its own allocation: the engine
// keeps keys and values long after the datagram is gone, and strings
// sharing one allocation would keep the whole body alive.
//
// The readers of strings, integers and array headers have a fast path for
// what is common and well formed, and fall back to a slow path that handles
// every case, errors included. The fast path only ever shortcuts a success
// the slow path would also return, so the two cannot disagree on what is
// accepted.

// decoder reads a msgpack body. It never reads past b.
type decoder struct {
	b   []byte
	off int
}

func (d *decoder) errf(base error, format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", base, d.off, fmt.Sprintf(format, args...))
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) next() (byte, error) {
	if d.off >= len(d.b) {
		return 0, d.errf(ErrTruncated, "unexpected end")
	}
	c := d.b[d.off]
	d.off++
	return c, nil
}

// be reads an n-byte big-endian unsigned number, n being 1, 2, 4 or 8.
func (d *decoder) be(n int) (uint64, error) {
	if d.remaining() < n {
		return 0, d.errf(ErrTruncated, "need %d bytes, have %d", n, d.remaining())
	}
	var x uint64
	for _, c := range d.b[d.off : d.off+n] {
		x = x<<8 | uint64(c)
	}
	d.off += n
	return x, nil
}

// arrayLen reads an array header and returns its length, or -1 for
// msgpack nil when nilOK. Each element takes at least minElem bytes, so a
// length that cannot fit in the rest of the input is refused: the length
// returned is at most the number of bytes left.
func (d *decoder) arrayLen(nilOK bool, minElem int) (int, error) {
	b, off := d.b, d.off
	if off < len(b) {
		n, h := -1, 1
		switch c := b[off]; {
		case c >= mpFixArray && c <= mpFixArrayMax:
			n = int(c & 0x0f)
		case c == mpArray16 && len(b)-off >= 3:
			n, h = int(binary.BigEndian.Uint16(b[off+1:])), 3
		case c == mpNil && nilOK:
			d.off = off + 1
			return -1, nil
		}
		if n >= 0 && n <= (len(b)-off-h)/minElem {
			d.off = off + h
			return n, nil
		}
	}
	return d.arrayLenSlow(nilOK, minElem)
}

// arrayLenSlow is arrayLen for every case, the errors included.
func (d *decoder) arrayLenSlow(nilOK bool, minElem int) (int, error) {
	start := d.off
	c, err := d.next()
	if err != nil {
		return 0, err
	}
	var n uint64
	switch {
	case c >= mpFixArray && c <= mpFixArrayMax:
		n = uint64(c & 0x0f)
	case c == mpArray16:
		n, err = d.be(2)
	case c == mpArray32:
		n, err = d.be(4)
	case c == mpNil && nilOK:
		return -1, nil
	default:
		d.off = start
		return 0, d.errf(ErrMalformed, "want array, got 0x%02x", c)
	}
	if err != nil {
		return 0, err
	}
	if n > uint64(d.remaining()/minElem) {
		return 0, d.errf(ErrTruncated, "array of %d elements in %d bytes", n, d.remaining())
	}
	return int(n), nil
}

// structHeader reads the array header of a struct with the given number
// of fields.
func (d *decoder) structHeader(name string, fields int) error {
	// Fast path: every struct has fewer than 16 fields, so a valid
	// header is one fixarray byte, followed by at least a byte a field.
	if d.off+fields < len(d.b) && d.b[d.off] == mpFixArray|byte(fields) {
		d.off++
		return nil
	}
	n, err := d.arrayLenSlow(false, 1)
	if err != nil {
		return err
	}
	if n != fields {
		return d.errf(ErrMalformed, "%s has %d fields, want %d", name, n, fields)
	}
	return nil
}

// str reads a string in any str format and returns a copy of it.
func (d *decoder) str() (string, error) {
	b, off := d.b, d.off
	if off < len(b) {
		n, h := -1, 1
		switch c := b[off]; {
		case c >= mpFixStr && c <= mpFixStrMax:
			n = int(c & 0x1f)
		case c == mpStr8 && len(b)-off >= 2:
			n, h = int(b[off+1]), 2
		case c == mpStr16 && len(b)-off >= 3:
			n, h = int(binary.BigEndian.Uint16(b[off+1:])), 3
		}
		if start := off + h; n >= 0 && n <= len(b)-start {
			d.off = start + n
			return string(b[start : start+n]), nil
		}
	}
	return d.strSlow()
}

// strSlow is str for every case, the errors included.
func (d *decoder) strSlow() (string, error) {
	start := d.off
	c, err := d.next()
	if err != nil {
		return "", err
	}
	var n uint64
	switch {
	case c >= mpFixStr && c <= mpFixStrMax:
		n = uint64(c & 0x1f)
	case c == mpStr8:
		n, err = d.be(1)
	case c == mpStr16:
		n, err = d.be(2)
	case c == mpStr32:
		n, err = d.be(4)
	default:
		d.off = start
		return "", d.errf(ErrMalformed, "want string, got 0x%02x", c)
	}
	if err != nil {
		return "", err
	}
	if n > uint64(d.remaining()) {
		return "", d.errf(ErrTruncated, "string of %d bytes, have %d", n, d.remaining())
	}
	s := string(d.b[d.off : d.off+int(n)])
	d.off += int(n)
	return s, nil
}

// uint reads an unsigned integer in any unsigned format.
func (d *decoder) uint() (uint64, error) {
	b, off := d.b, d.off
	if off < len(b) {
		switch c := b[off]; {
		case c <= mpPosFixIntMax:
			d.off = off + 1
			return uint64(c), nil
		case c == mpUint8 && len(b)-off >= 2:
			d.off = off + 2
			return uint64(b[off+1]), nil
		case c == mpUint16 && len(b)-off >= 3:
			d.off = off + 3
			return uint64(binary.BigEndian.Uint16(b[off+1:])), nil
		case c == mpUint32 && len(b)-off >= 5:
			d.off = off + 5
			return uint64(binary.BigEndian.Uint32(b[off+1:])), nil
		case c == mpUint64 && len(b)-off >= 9:
			d.off = off + 9
			return binary.BigEndian.Uint64(b[off+1:]), nil
		}
	}
	return d.uintSlow()
}

// uintSlow is uint for every case, the errors included.
func (d *decoder) uintSlow() (uint64, error) {
	start := d.off
	c, err := d.next()
	if err != nil {
		return 0, err
	}
	var x uint64
	switch {
	case c <= mpPosFixIntMax:
		x = uint64(c)
	case c == mpUint8:
		x, err = d.be(1)
	case c == mpUint16:
		x, err = d.be(2)
	case c == mpUint32:
		x, err = d.be(4)
	case c == mpUint64:
		x, err = d.be(8)
	default:
		d.off = start
		return 0, d.errf(ErrMalformed, "want unsigned integer, got 0x%02x", c)
	}
	if err != nil {
		return 0, err
	}
	return x, nil
}

// uintMax reads an unsigned integer and checks that it is at most limit.
func (d *decoder) uintMax(limit uint64) (uint64, error) {
	start := d.off
	x, err := d.uint()
	if err != nil {
		return 0, err
	}
	if x > limit {
		d.off = start
		return 0, d.errf(ErrMalformed, "value %d exceeds %d", x, limit)
	}
	return x, nil
}

func (d *decoder) boolean() (bool, error) {
	c, err := d.next()
	if err != nil {
		return false, err
	}
	switch c {
	case mpTrue:
		return true, nil
	case mpFalse:
		return false, nil
	}
	d.off--
	return false, d.errf(ErrMalformed, "want bool, got 0x%02x", c)
}

// Minimum encoded sizes of the slice elements, used to bound declared
// array lengths.
const (
	minDigestEntrySize = 1 + 1 + 4*1
	minEntrySize       = 1 + 1 + 1 + 1 + 1
	minNodeDeltaSize   = 1 + 2*1 + 5*1 + BoolSize + 1
	minRangeSize       = 1 + 4*1
)

func (d *decoder) digestEntry(e *DigestEntry) (err error) {
	if err = d.structHeader("DigestEntry", digestEntryFields); err != nil {
		return err
	}
	if e.ID, err = d.str(); err != nil {
		return err
	}
	if e.Generation, err = d.uint(); err != nil {
		return err
	}
	if e.Flags, err = d.uint(); err != nil {
		return err
	}
	if e.MaxVersion, err = d.uint(); err != nil {
		return err
	}
	e.GCVersion, err = d.uint()
	return err
}

func (d *decoder) digest(dg *Digest) (err error) {
	if err = d.structHeader("Digest", digestFields); err != nil {
		return err
	}
	if dg.Complete, err = d.boolean(); err != nil {
		return err
	}
	n, err := d.arrayLen(true, minDigestEntrySize)
	if err != nil || n < 0 {
		dg.Entries = nil
		return err
	}
	dg.Entries = make([]DigestEntry, n)
	for i := range dg.Entries {
		if err := d.digestEntry(&dg.Entries[i]); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) entry(e *Entry) (err error) {
	if err = d.structHeader("Entry", entryFields); err != nil {
		return err
	}
	if e.Key, err = d.str(); err != nil {
		return err
	}
	if e.Value, err = d.str(); err != nil {
		return err
	}
	if e.Version, err = d.uint(); err != nil {
		return err
	}
	status, err := d.uintMax(uint64(StatusLeft))
	e.Status = uint8(status)
	return err
}

func (d *decoder) nodeDelta(nd *NodeDelta) (err error) {
	if err = d.structHeader("NodeDelta", nodeDeltaFields); err != nil {
		return err
	}
	if nd.ID, err = d.str(); err != nil {
		return err
	}
	if nd.Addr, err = d.str(); err != nil {
		return err
	}
	if nd.Generation, err = d.uint(); err != nil {
		return err
	}
	if nd.Flags, err = d.uint(); err != nil {
		return err
	}
	if nd.FromVersion, err = d.uint(); err != nil {
		return err
	}
	if nd.MaxVersion, err = d.uint(); err != nil {
		return err
	}
	if nd.GCVersion, err = d.uint(); err != nil {
		return err
	}
	if nd.Reset, err = d.boolean(); err != nil {
		return err
	}
	n, err := d.arrayLen(true, minEntrySize)
	if err != nil || n < 0 {
		nd.Entries = nil
		return err
	}
	nd.Entries = make([]Entry, n)
	for i := range nd.Entries {
		if err := d.entry(&nd.Entries[i]); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) delta(dl *Delta) error {
	if err := d.structHeader("Delta", deltaFields); err != nil {
		return err
	}
	n, err := d.arrayLen(true, minNodeDeltaSize)
	if err != nil || n < 0 {
		dl.Nodes = nil
		return err
	}
	dl.Nodes = make([]NodeDelta, n)
	for i := range dl.Nodes {
		if err := d.nodeDelta(&dl.Nodes[i]); err != nil {
			return err
		}
	}
	return nil
}

// end checks that the whole body was consumed.
func (d *decoder) end() error {
	if d.off != len(d.b) {
		return d.errf(ErrMalformed, "%d trailing bytes", len(d.b)-d.off)
	}
	return nil
}

func decodeSyn(b []byte, m *Syn) (err error) {
	d := decoder{b: b}
	if err = d.structHeader("Syn", synFields); err != nil {
		return err
	}
	if m.From, err = d.str(); err != nil {
		return err
	}
	if err = d.digest(&m.Digest); err != nil {
		return err
	}
	return d.end()
}

func decodeSynAck(b []byte, m *SynAck) (err error) {
	d := decoder{b: b}
	if err = d.structHeader("SynAck", synAckFields); err != nil {
		return err
	}
	if m.From, err = d.str(); err != nil {
		return err
	}
	if err = d.digest(&m.Digest); err != nil {
		return err
	}
	if err = d.delta(&m.Delta); err != nil {
		return err
	}
	return d.end()
}

func decodeAck(b []byte, m *Ack) (err error) {
	d := decoder{b: b}
	if err = d.structHeader("Ack", ackFields); err != nil {
		return err
	}
	if m.From, err = d.str(); err != nil {
		return err
	}
	if err = d.delta(&m.Delta); err != nil {
		return err
	}
	return d.end()
}

func decodeHeartbeat(b []byte, m *Heartbeat) (err error) {
	d := decoder{b: b}
	if err = d.structHeader("Heartbeat", heartbeatFields); err != nil {
		return err
	}
	if m.From, err = d.str(); err != nil {
		return err
	}
	for _, v := range [...]*uint64{&m.Generation, &m.Seq, &m.Since, &m.Heard, &m.Subjects, &m.MaxVersion} {
		if *v, err = d.uint(); err != nil {
			return err
		}
	}
	return d.end()
}

func decodePush(b []byte, m *Push) (err error) {
	d := decoder{b: b}
	if err = d.structHeader("Push", pushFields); err != nil {
		return err
	}
	if m.From, err = d.str(); err != nil {
		return err
	}
	if m.Hops, err = d.uint(); err != nil {
		return err
	}
	if err = d.delta(&m.Delta); err != nil {
		return err
	}
	return d.end()
}

func decodeSum(b []byte, m *Sum) (err error) {
	d := decoder{b: b}
	if err = d.structHeader("Sum", sumFields); err != nil {
		return err
	}
	if m.From, err = d.str(); err != nil {
		return err
	}
	for _, v := range [...]*uint64{&m.Generation, &m.Nodes, &m.Fingerprint} {
		if *v, err = d.uint(); err != nil {
			return err
		}
	}
	if m.Answer, err = d.boolean(); err != nil {
		return err
	}
	return d.end()
}

// rangeList decodes an array (or nil) of Ranges.
func (d *decoder) rangeList() ([]Range, error) {
	n, err := d.arrayLen(true, minRangeSize)
	if err != nil || n < 0 {
		return nil, err
	}
	rs := make([]Range, n)
	for i := range rs {
		r := &rs[i]
		if err := d.structHeader("Range", rangeFields); err != nil {
			return nil, err
		}
		for _, v := range [...]*uint64{&r.Depth, &r.Prefix, &r.Nodes, &r.Fingerprint} {
			if *v, err = d.uint(); err != nil {
				return nil, err
			}
		}
	}
	return rs, nil
}

func decodeRanges(b []byte, m *Ranges) (err error) {
	d := decoder{b: b}
	if err = d.structHeader("Ranges", rangesFields); err != nil {
		return err
	}
	if m.From, err = d.str(); err != nil {
		return err
	}
	if m.Generation, err = d.uint(); err != nil {
		return err
	}
	if m.Ranges, err = d.rangeList(); err != nil {
		return err
	}
	if m.Covered, err = d.rangeList(); err != nil {
		return err
	}
	if err = d.digest(&m.Digest); err != nil {
		return err
	}
	return d.end()
}

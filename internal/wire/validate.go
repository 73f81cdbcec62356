package wire

import "fmt"

// Structural validation of a body before go-msgpack decodes it.
//
// go-msgpack is lenient: it decodes a struct from a map of field names,
// fills a short array's missing fields with zero values, skips extra
// elements, takes nil for a string or a struct and binary for a string.
// The wire format allows none of that, so every body is first walked
// against the schema here, without allocating: each struct must be an
// array of exactly its field count; strings must use a str format;
// integers an unsigned format that fits the field; booleans true or false;
// slices an array or nil. Every declared length must fit in the bytes that
// remain, so a hostile length is refused before anything is allocated, and
// the message must end exactly at the end of the body.

// validator walks a msgpack body. It never reads past b.
type validator struct {
	b   []byte
	off int
}

func (v *validator) errf(base error, format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", base, v.off, fmt.Sprintf(format, args...))
}

func (v *validator) remaining() int { return len(v.b) - v.off }

func (v *validator) next() (byte, error) {
	if v.off >= len(v.b) {
		return 0, v.errf(ErrTruncated, "unexpected end")
	}
	c := v.b[v.off]
	v.off++
	return c, nil
}

// be reads an n-byte big-endian unsigned number.
func (v *validator) be(n int) (uint64, error) {
	if v.remaining() < n {
		return 0, v.errf(ErrTruncated, "need %d bytes, have %d", n, v.remaining())
	}
	var x uint64
	for _, c := range v.b[v.off : v.off+n] {
		x = x<<8 | uint64(c)
	}
	v.off += n
	return x, nil
}

// arrayLen reads an array header (or nil when nilOK) and returns its
// length. Each element takes at least minElem bytes, so a length that
// cannot fit in the rest of the input is refused.
func (v *validator) arrayLen(nilOK bool, minElem int) (int, error) {
	start := v.off
	c, err := v.next()
	if err != nil {
		return 0, err
	}
	var n uint64
	switch {
	case c >= mpFixArray && c <= mpFixArrayMax:
		n = uint64(c & 0x0f)
	case c == mpArray16:
		n, err = v.be(2)
	case c == mpArray32:
		n, err = v.be(4)
	case c == mpNil && nilOK:
		return 0, nil
	default:
		v.off = start
		return 0, v.errf(ErrMalformed, "want array, got 0x%02x", c)
	}
	if err != nil {
		return 0, err
	}
	if n > uint64(v.remaining()/minElem) {
		return 0, v.errf(ErrTruncated, "array of %d elements in %d bytes", n, v.remaining())
	}
	return int(n), nil
}

// structHeader reads the array header of a struct with the given number
// of fields.
func (v *validator) structHeader(name string, fields int) error {
	n, err := v.arrayLen(false, 1)
	if err != nil {
		return err
	}
	if n != fields {
		return v.errf(ErrMalformed, "%s has %d fields, want %d", name, n, fields)
	}
	return nil
}

func (v *validator) str() error {
	start := v.off
	c, err := v.next()
	if err != nil {
		return err
	}
	var n uint64
	switch {
	case c >= mpFixStr && c <= mpFixStrMax:
		n = uint64(c & 0x1f)
	case c == mpStr8:
		n, err = v.be(1)
	case c == mpStr16:
		n, err = v.be(2)
	case c == mpStr32:
		n, err = v.be(4)
	default:
		v.off = start
		return v.errf(ErrMalformed, "want string, got 0x%02x", c)
	}
	if err != nil {
		return err
	}
	if n > uint64(v.remaining()) {
		return v.errf(ErrTruncated, "string of %d bytes, have %d", n, v.remaining())
	}
	v.off += int(n)
	return nil
}

// uintMax reads an unsigned integer in any unsigned format and checks that it
// is at most limit.
func (v *validator) uintMax(limit uint64) error {
	start := v.off
	c, err := v.next()
	if err != nil {
		return err
	}
	var x uint64
	switch {
	case c <= mpPosFixIntMax:
		x = uint64(c)
	case c == mpUint8:
		x, err = v.be(1)
	case c == mpUint16:
		x, err = v.be(2)
	case c == mpUint32:
		x, err = v.be(4)
	case c == mpUint64:
		x, err = v.be(8)
	default:
		v.off = start
		return v.errf(ErrMalformed, "want unsigned integer, got 0x%02x", c)
	}
	if err != nil {
		return err
	}
	if x > limit {
		v.off = start
		return v.errf(ErrMalformed, "value %d exceeds %d", x, limit)
	}
	return nil
}

func (v *validator) anyUint() error { return v.uintMax(^uint64(0)) }

func (v *validator) boolean() error {
	c, err := v.next()
	if err != nil {
		return err
	}
	if c != mpTrue && c != mpFalse {
		v.off--
		return v.errf(ErrMalformed, "want bool, got 0x%02x", c)
	}
	return nil
}

func (v *validator) digest() error {
	if err := v.structHeader("Digest", digestFields); err != nil {
		return err
	}
	if err := v.boolean(); err != nil {
		return err
	}
	n, err := v.arrayLen(true, minDigestEntrySize)
	if err != nil {
		return err
	}
	for range n {
		if err := v.structHeader("DigestEntry", digestEntryFields); err != nil {
			return err
		}
		if err := v.str(); err != nil {
			return err
		}
		for range 4 {
			if err := v.anyUint(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v *validator) entry() error {
	if err := v.structHeader("Entry", entryFields); err != nil {
		return err
	}
	if err := v.str(); err != nil {
		return err
	}
	if err := v.str(); err != nil {
		return err
	}
	if err := v.anyUint(); err != nil {
		return err
	}
	return v.uintMax(uint64(StatusLeft))
}

func (v *validator) nodeDelta() error {
	if err := v.structHeader("NodeDelta", nodeDeltaFields); err != nil {
		return err
	}
	for range 2 {
		if err := v.str(); err != nil {
			return err
		}
	}
	for range 5 {
		if err := v.anyUint(); err != nil {
			return err
		}
	}
	if err := v.boolean(); err != nil {
		return err
	}
	n, err := v.arrayLen(true, minEntrySize)
	if err != nil {
		return err
	}
	for range n {
		if err := v.entry(); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) delta() error {
	if err := v.structHeader("Delta", deltaFields); err != nil {
		return err
	}
	n, err := v.arrayLen(true, minNodeDeltaSize)
	if err != nil {
		return err
	}
	for range n {
		if err := v.nodeDelta(); err != nil {
			return err
		}
	}
	return nil
}

// end checks that the whole body was consumed.
func (v *validator) end() error {
	if v.off != len(v.b) {
		return v.errf(ErrMalformed, "%d trailing bytes", len(v.b)-v.off)
	}
	return nil
}

func validateSyn(b []byte) error {
	v := validator{b: b}
	if err := v.structHeader("Syn", synFields); err != nil {
		return err
	}
	if err := v.str(); err != nil {
		return err
	}
	if err := v.digest(); err != nil {
		return err
	}
	return v.end()
}

func validateSynAck(b []byte) error {
	v := validator{b: b}
	if err := v.structHeader("SynAck", synAckFields); err != nil {
		return err
	}
	if err := v.str(); err != nil {
		return err
	}
	if err := v.digest(); err != nil {
		return err
	}
	if err := v.delta(); err != nil {
		return err
	}
	return v.end()
}

func validateAck(b []byte) error {
	v := validator{b: b}
	if err := v.structHeader("Ack", ackFields); err != nil {
		return err
	}
	if err := v.str(); err != nil {
		return err
	}
	if err := v.delta(); err != nil {
		return err
	}
	return v.end()
}

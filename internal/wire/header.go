package wire

import "fmt"

// headerFixedSize is the size of the header without the cluster ID: magic,
// version, type, flags and the cluster ID length.
const headerFixedSize = 5

// MaxClusterIDLen is the longest cluster ID the header can carry: its
// length is a single byte.
const MaxClusterIDLen = 255

// Header is the fixed part of every datagram that precedes the body.
type Header struct {
	Type      MsgType
	Flags     uint8
	ClusterID string
}

// Size is the encoded size of h in bytes: 5 + len(h.ClusterID).
func (h *Header) Size() int { return headerFixedSize + len(h.ClusterID) }

// AppendHeader appends the encoding of h to dst and returns the extended
// slice.
//
// The cluster ID's length is one byte, so a ClusterID longer than
// MaxClusterIDLen cannot be encoded. Callers must validate it beforehand
// (the configuration caps it at 128 bytes); AppendHeader panics if it is
// longer, as that is a programming error, not bad input.
func AppendHeader(dst []byte, h *Header) []byte {
	if len(h.ClusterID) > MaxClusterIDLen {
		panic(fmt.Sprintf("wire: cluster ID of %d bytes exceeds %d", len(h.ClusterID), MaxClusterIDLen))
	}
	dst = append(dst, Magic, Version, byte(h.Type), h.Flags, byte(len(h.ClusterID)))
	return append(dst, h.ClusterID...)
}

// ParseHeader parses the header at the start of b and returns it together
// with the rest of b, the body, which aliases b. The flags are returned as
// they are; interpreting them is up to the caller. Errors wrap ErrBadMagic,
// ErrBadVersion, ErrUnknownType or ErrTruncated, all of which wrap
// ErrMalformed.
func ParseHeader(b []byte) (Header, []byte, error) {
	if len(b) < headerFixedSize {
		return Header{}, nil, fmt.Errorf("%w: header needs %d bytes, have %d", ErrTruncated, headerFixedSize, len(b))
	}
	if b[0] != Magic {
		return Header{}, nil, fmt.Errorf("%w: 0x%02x", ErrBadMagic, b[0])
	}
	if b[1] != Version {
		return Header{}, nil, fmt.Errorf("%w: %d", ErrBadVersion, b[1])
	}
	t := MsgType(b[2])
	if !t.valid() {
		return Header{}, nil, fmt.Errorf("%w: %d", ErrUnknownType, b[2])
	}
	n := int(b[4])
	if len(b) < headerFixedSize+n {
		return Header{}, nil, fmt.Errorf("%w: cluster ID of %d bytes, have %d", ErrTruncated, n, len(b)-headerFixedSize)
	}
	h := Header{Type: t, Flags: b[3], ClusterID: string(b[headerFixedSize : headerFixedSize+n])}
	return h, b[headerFixedSize+n:], nil
}

// valid reports whether t is one of the defined message types.
func (t MsgType) valid() bool { return t >= MsgSyn && t <= MaxMsgType }

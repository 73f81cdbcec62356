package wire

import (
	"errors"
	"fmt"
)

// ErrMalformed is wrapped by every error that ParseHeader and the Decode
// functions return, so callers can test for bad input with
// errors.Is(err, ErrMalformed).
var ErrMalformed = errors.New("wire: malformed datagram")

// ErrBadMagic means the first byte of a datagram is not Magic.
var ErrBadMagic = fmt.Errorf("%w: bad magic", ErrMalformed)

// ErrBadVersion means the datagram carries a Version this package does not
// speak.
var ErrBadVersion = fmt.Errorf("%w: unsupported version", ErrMalformed)

// ErrUnknownType means the header's message type is not one of the MsgType
// constants.
var ErrUnknownType = fmt.Errorf("%w: unknown message type", ErrMalformed)

// ErrTruncated means the input ended before the header or body was complete,
// including a declared string or array length that runs past the end.
var ErrTruncated = fmt.Errorf("%w: truncated", ErrMalformed)

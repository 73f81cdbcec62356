package scuttlebutt

import "errors"

// sealer turns a framed message into the bytes sent, and back. The header is
// passed separately so that it can be authenticated with the body.
type sealer interface {
	// overhead is the most seal may add to a body.
	overhead() int
	// seal returns the datagram for header and body. It may modify header's
	// flags byte and reuse the memory of both.
	seal(header, body []byte) ([]byte, error)
	// open returns the plain body of a received datagram.
	open(header []byte, flags uint8, body []byte) ([]byte, error)
}

// errAuth marks datagrams that fail authentication.
var errAuth = errors.New("scuttlebutt: datagram failed authentication")

// plainSealer sends bodies as they are.
type plainSealer struct{}

func (plainSealer) overhead() int { return 0 }

func (plainSealer) seal(header, body []byte) ([]byte, error) {
	return header[:len(header)+len(body)], nil
}

func (plainSealer) open(_ []byte, flags uint8, body []byte) ([]byte, error) {
	if flags != 0 {
		return nil, errAuth
	}
	return body, nil
}

func newSealer(*Config) (sealer, error) { return plainSealer{}, nil }

// countOpenError counts a datagram that could not be opened.
func (c *core) countOpenError(err error) {
	if errors.Is(err, errAuth) {
		c.stats.DroppedAuth++
		return
	}
	c.stats.DroppedMalformed++
}

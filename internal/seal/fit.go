package seal

import "github.com/scuttlego/scuttlebutt/internal/wire"

// Fitting a message into one datagram. Without compression a message is
// built against the exact body budget (the limit less the header and the
// sealing overhead) and always fits. With compression the builder gets a
// budget inflated by the running ratio estimate of the message type; the
// encoded body is compressed and, if it does not fit, cut from the end to the
// size the observed ratio suggests and compressed again. After maxFitTries
// the message is cut to the exact budget, so that even uncompressed it fits:
// no datagram ever exceeds the limit.
//
// Cutting is the message's own business (Message.Trim): the engine's
// messages stay valid and useful when cut, a digest losing its last entries
// and a delta its last node deltas or the last entries of its last one.

// maxFitTries bounds the compressions of one message before the fallback.
const maxFitTries = 3

// minCompressSize is the body size below which compressing is not tried:
// DEFLATE gains next to nothing on a few dozen bytes.
const minCompressSize = 128

// Message is a message being fitted into one datagram.
type Message interface {
	// Size is the encoded size of the body.
	Size() int
	// AppendBody appends the encoded body.
	AppendBody(b []byte) []byte
	// Trim cuts the message from the end until Size() <= limit, or to its
	// smallest form if limit is smaller than that.
	Trim(limit int)
}

// Frame builds a message of type h.Type with build, fits it into one
// datagram of at most limit bytes, header included, and seals it. build
// gets the body budget and returns the message, or nil for nothing to send.
// Frame returns a nil datagram when there is nothing to send: build
// returned nil, or the message cannot be cut below a limit smaller than
// even its smallest form. An error (ErrUnfit, or a failed nonce read)
// means the datagram was built but cannot be sent.
func (s *Sealer) Frame(h wire.Header, limit int, build func(budget int) Message) ([]byte, error) {
	budget := limit - h.Size() - s.Overhead()
	if !s.compress {
		if m := build(budget); m != nil {
			return s.sealWithin(h, limit, m.AppendBody(make([]byte, 0, m.Size())), false)
		}
		return nil, nil
	}
	est := &s.ratios[h.Type]
	inflated := est.inflate(budget, s.plainLimit)
	m := build(inflated)
	if m == nil {
		return nil, nil
	}
	var z []byte
	for try := 0; ; try++ {
		body := m.AppendBody(make([]byte, 0, m.Size()))
		if len(body) < minCompressSize && len(body) <= budget {
			return s.sealWithin(h, limit, body, false)
		}
		z = Compress(z[:0], body)
		if len(body) >= inflated/2 {
			est.observe(len(body), len(z))
		}
		switch {
		case len(z) < len(body) && len(z) <= budget:
			return s.sealWithin(h, limit, z, true)
		case len(body) <= budget:
			return s.sealWithin(h, limit, body, false)
		}
		if try >= maxFitTries || len(z) >= len(body) {
			// The fallback: cut to the exact budget, after which the next
			// round sends, compressed or not. A message that cannot be cut
			// that far (a reply limit below even an empty message) is not
			// sent at all.
			if m.Trim(budget); m.Size() > budget {
				return nil, nil
			}
			continue
		}
		m.Trim(max(budget, min(len(body)-1, int(int64(len(body))*int64(budget)*15/(16*int64(len(z)))))))
	}
}

// sealWithin seals a body and checks the datagram against limit.
func (s *Sealer) sealWithin(h wire.Header, limit int, body []byte, compressed bool) ([]byte, error) {
	data, err := s.Seal(h, body, compressed)
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, ErrUnfit // unreachable by construction
	}
	return data, nil
}

package scuttlebutt

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"sync"
)

// Compression: a body is compressed with DEFLATE (compress/flate at the
// default level, raw stream, no preset dictionary) and sent compressed only
// when that makes it smaller; FlagCompressed says so. BENCHMARKS.md
// (## Compression) records the measurements behind the choice.
//
// Compression lets a datagram carry more: when it is on, a message is built
// against a budget inflated by a running estimate of the compression ratio,
// then compressed; if it does not fit, it is cut from the end and compressed
// again, and after a few tries it is cut to the exact uncompressed budget,
// which always fits (see fit.go). A compressed body may therefore expand to
// more than MaxPacketSize, but never to more than maxExpansion times
// MaxPacketSize: a receiver stops decompressing there and drops the datagram
// (DroppedOversize), so a small datagram can never make it allocate more than
// that.

// maxExpansion bounds a decompressed body, in multiples of MaxPacketSize.
// Realistic deltas compress three to five times (BENCHMARKS.md).
const maxExpansion = 4

// errOversize marks a body that decompresses beyond the limit.
var errOversize = errors.New("scuttlebutt: decompressed body too large")

// The DEFLATE writer costs about 800 KB and the reader 40 KB, so one of each
// is shared by every core of the process rather than held per core; their
// output is deterministic, so sharing does not affect a core's behaviour.
var (
	deflateMu     sync.Mutex
	deflateWriter *flate.Writer
	deflateOut    bytes.Buffer

	inflateMu     sync.Mutex
	inflateReader io.ReadCloser
	inflateInput  bytes.Reader
)

// compress appends the DEFLATE compression of src to dst.
func compress(dst, src []byte) []byte {
	deflateMu.Lock()
	defer deflateMu.Unlock()
	deflateOut.Reset()
	if deflateWriter == nil {
		deflateWriter, _ = flate.NewWriter(&deflateOut, flate.DefaultCompression)
	} else {
		deflateWriter.Reset(&deflateOut)
	}
	// Writes to a bytes.Buffer cannot fail.
	_, _ = deflateWriter.Write(src)
	_ = deflateWriter.Close()
	return append(dst, deflateOut.Bytes()...)
}

// decompress appends the decompression of src to dst[:0] and returns it. It
// reads at most limit bytes of output: a longer body fails with errOversize,
// a corrupt one with an error wrapping flate's. dst must have a capacity of
// at least limit+1 so that decompression allocates nothing.
func decompress(dst, src []byte, limit int) ([]byte, error) {
	inflateMu.Lock()
	defer inflateMu.Unlock()
	inflateInput.Reset(src)
	if inflateReader == nil {
		inflateReader = flate.NewReader(&inflateInput)
	} else if err := inflateReader.(flate.Resetter).Reset(&inflateInput, nil); err != nil {
		return nil, err
	}
	out := dst[:0]
	for {
		if len(out) > limit {
			return nil, errOversize
		}
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := inflateReader.Read(out[len(out):min(cap(out), limit+1)])
		out = out[:len(out)+n]
		switch {
		case err == io.EOF:
			if len(out) > limit {
				return nil, errOversize
			}
			return out, nil
		case err != nil:
			return nil, err
		}
	}
}

// ratioEstimate is a running estimate of the compressed/plain size ratio of
// one message type, in 1/ratioOne units; 0 means no sample yet.
type ratioEstimate uint32

const ratioOne = 1 << 12

// observe folds in one compression of a body of plain bytes to comp bytes.
func (r *ratioEstimate) observe(plain, comp int) {
	if plain <= 0 {
		return
	}
	x := uint32(min(comp*ratioOne/plain, ratioOne))
	if *r == 0 {
		*r = ratioEstimate(max(x, 1))
		return
	}
	*r = ratioEstimate(max((uint32(*r)+x)/2, 1))
}

// inflate returns the plain budget to build against for an exact budget,
// aiming a little below the estimate so that a retry is rarely needed, and
// never above limit.
func (r ratioEstimate) inflate(budget, limit int) int {
	if r == 0 || budget <= 0 {
		return budget
	}
	b := int(int64(budget) * ratioOne * 15 / (16 * int64(r)))
	return max(budget, min(b, limit))
}

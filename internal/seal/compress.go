package seal

import (
	"bytes"
	"compress/flate"
	"io"
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
// more than MaxPacketSize, but never to more than MaxExpansion times
// MaxPacketSize: a receiver stops decompressing there and drops the datagram
// (DroppedOversize), so a small datagram can never make it allocate more than
// that.

// MaxExpansion bounds a decompressed body, in multiples of MaxPacketSize.
// Realistic deltas compress three to five times (BENCHMARKS.md).
const MaxExpansion = 4

// A DEFLATE writer costs about 800 KB and a reader 40 KB, too much to hold
// one per node when a process (or the simulator) runs many. They are kept
// in small free lists, taken for the duration of one call and given back:
// no lock is held across nodes, and a process holds at most freeListSize
// of each once idle. Unlike a sync.Pool, a free list is not emptied by the
// garbage collector, so a steady node does not allocate a new writer now
// and then (the receive path's allocation bound, checked by FuzzReceive,
// relies on it). Their output does not depend on what they compressed
// before, so sharing them does not affect a node's behaviour.
const freeListSize = 4

var (
	deflaters = make(chan *deflater, freeListSize)
	inflaters = make(chan *inflater, freeListSize)
)

type deflater struct {
	w   *flate.Writer
	out bytes.Buffer
}

type inflater struct {
	r  io.ReadCloser
	in bytes.Reader
}

func getDeflater() *deflater {
	select {
	case d := <-deflaters:
		return d
	default:
		d := &deflater{}
		d.w, _ = flate.NewWriter(&d.out, flate.DefaultCompression)
		return d
	}
}

func getInflater() *inflater {
	select {
	case i := <-inflaters:
		return i
	default:
		i := &inflater{}
		i.r = flate.NewReader(&i.in)
		return i
	}
}

// give returns v to its free list, or drops it when the list is full.
func give[T any](list chan T, v T) {
	select {
	case list <- v:
	default:
	}
}

// Compress appends the DEFLATE compression of src to dst.
func Compress(dst, src []byte) []byte {
	d := getDeflater()
	defer give(deflaters, d)
	d.out.Reset()
	d.w.Reset(&d.out)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = d.w.Write(src)
	_ = d.w.Close()
	return append(dst, d.out.Bytes()...)
}

// decompress appends the decompression of src to dst[:0] and returns it. It
// reads at most limit bytes of output: a longer body fails with ErrOversize,
// a corrupt one with an error wrapping flate's. dst must have a capacity of
// at least limit+1 so that decompression allocates nothing.
func decompress(dst, src []byte, limit int) ([]byte, error) {
	inf := getInflater()
	defer give(inflaters, inf)
	inf.in.Reset(src)
	if err := inf.r.(flate.Resetter).Reset(&inf.in, nil); err != nil {
		return nil, err
	}
	out := dst[:0]
	for {
		if len(out) > limit {
			return nil, ErrOversize
		}
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := inf.r.Read(out[len(out):min(cap(out), limit+1)])
		out = out[:len(out)+n]
		switch {
		case err == io.EOF:
			if len(out) > limit {
				return nil, ErrOversize
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

// SeedRatios sets the running compression estimate of every message type
// as if bodies of plain bytes had compressed to comp bytes, so that Frame
// builds against inflated budgets at once. Fuzz targets use it to reach the
// inflated-budget paths without a warm-up.
func (s *Sealer) SeedRatios(comp, plain int) {
	for t := range s.ratios {
		s.ratios[t] = 0
		s.ratios[t].observe(plain, comp)
	}
}

// WarmUp allocates a compressor and a decompressor into the free lists, so
// that a caller measuring allocations does not count them.
func WarmUp() {
	_, _ = decompress(make([]byte, 0, 16), Compress(nil, []byte("warm up")), 15)
}

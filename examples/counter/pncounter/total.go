package pncounter

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// KeyPrefix starts the key under which a node publishes its total of a
// counter: "counter/<name>".
const KeyPrefix = "counter/"

// MaxKeyLength is the longest key a node can publish:
// scuttlebutt.MaxKeyLength.
const MaxKeyLength = 256

// MaxNameLength is the longest counter name, in bytes.
const MaxNameLength = MaxKeyLength - len(KeyPrefix)

var (
	// ErrInvalidName is returned for an empty counter name or one longer
	// than MaxNameLength.
	ErrInvalidName = errors.New("pncounter: invalid counter name")
	// ErrOverflow is returned when a total or a sum leaves the int64 range.
	ErrOverflow = errors.New("pncounter: int64 overflow")
	// ErrMalformed is returned for a published total that is not a decimal
	// int64.
	ErrMalformed = errors.New("pncounter: malformed total")
)

// Key returns the key under which a node publishes its total of counter
// name.
func Key(name string) string { return KeyPrefix + name }

// NameOf returns the counter name of a key published by Key, and whether
// key is one.
func NameOf(key string) (string, bool) {
	name, ok := strings.CutPrefix(key, KeyPrefix)
	return name, ok && name != ""
}

// CheckName returns an error wrapping ErrInvalidName unless name is a valid
// counter name: 1 to MaxNameLength bytes.
func CheckName(name string) error {
	if name == "" || len(name) > MaxNameLength {
		return fmt.Errorf("%w: length %d, want 1 to %d bytes", ErrInvalidName, len(name), MaxNameLength)
	}
	return nil
}

// ParseTotal parses a published total.
func ParseTotal(value string) (int64, error) {
	t, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrMalformed, value)
	}
	return t, nil
}

// FormatTotal renders a total for publication.
func FormatTotal(total int64) string { return strconv.FormatInt(total, 10) }

// Add returns total + delta, or an error wrapping ErrOverflow when that
// leaves the int64 range.
func Add(total, delta int64) (int64, error) {
	s := total + delta
	if (delta > 0 && s < total) || (delta < 0 && s > total) {
		return total, fmt.Errorf("%w: %d + %d", ErrOverflow, total, delta)
	}
	return s, nil
}

// accumulator sums int64s in 128 bits, so that only the final sum must fit
// an int64 and the result does not depend on the order of the terms.
type accumulator struct {
	hi int64
	lo uint64
}

func (a *accumulator) add(x int64) {
	var carry uint64
	a.lo, carry = bits.Add64(a.lo, uint64(x), 0)
	a.hi += int64(carry)
	if x < 0 {
		a.hi-- // sign extension of x
	}
}

// value returns the sum, or an error wrapping ErrOverflow.
func (a accumulator) value() (int64, error) {
	neg := a.lo >= 1<<63
	if (a.hi == 0 && !neg) || (a.hi == -1 && neg) {
		return int64(a.lo), nil
	}
	return 0, fmt.Errorf("%w: the sum of the totals", ErrOverflow)
}

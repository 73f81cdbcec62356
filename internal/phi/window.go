// Package phi holds the arithmetic of the phi-accrual failure detector: one
// arrival window per monitored peer and the settings the windows share. It
// is pure: no goroutines, no clock reads and no global state; callers pass
// the time in. It knows nothing of peers, messages or the protocol that
// feeds it.
package phi

import (
	"math"
	"time"
)

// The detector is Hayashibara et al.'s ("The φ Accrual Failure Detector",
// 2004), in the form used by Akka's PhiAccrualFailureDetector.
//
// For each peer a Window keeps the last SamplingWindowSize
// inter-arrival times of that peer's heartbeat increases. The suspicion level
// after `elapsed` time without a new arrival is
//
//	phi = -log10(1 - F(elapsed))
//
// where F is the CDF of a normal distribution with
//
//	mean = mean(window) + AcceptableHeartbeatPause
//	sd   = max(stddev(window), MinStdDeviation)
//
// F is approximated by the logistic function
//
//	F(elapsed) ≈ 1 / (1 + e),  e = exp(-y·(1.5976 + 0.070566·y²)),  y = (elapsed - mean) / sd
//
// so that 1 - F = e / (1 + e) and phi = -log10(e / (1 + e)). Akka evaluates
// this as -log10(e/(1+e)) when elapsed > mean and as -log10(1 - 1/(1+e))
// otherwise; phiFromY computes the same value in log space, which never
// overflows or underflows: with z = y·(1.5976 + 0.070566·y²),
//
//	phi = (z + ln(1 + exp(-z))) / ln 10   for z > 0 (elapsed > mean)
//	phi = ln(1 + exp(z)) / ln 10          for z ≤ 0
//
// When exp(-z) underflows to 0 the first form reduces to its asymptote
// z / ln 10, a large but finite value.
//
// With the defaults (PhiThreshold 8, AcceptableHeartbeatPause 3 s,
// MinStdDeviation 100 ms) and steady 1 s heartbeats, the window's mean is
// 1 s and its deviation is below 100 ms, so mean = 4 s and sd = 100 ms. phi
// reaches 8 when z = 8·ln 10 ≈ 18.42, that is y ≈ 5.22, so a crashed peer is
// convicted about 4 s + 5.22·100 ms ≈ 4.5 s after its last heartbeat. Most of
// that delay is the acceptable pause; MinStdDeviation mostly decides how
// sharp the transition is. The WAN defaults (PhiThreshold 12, pause 10 s)
// convict after about 11.6 s with 1 s heartbeats.

// Coefficients of the logistic approximation of the standard normal CDF.
const (
	phiCoefA = 1.5976
	phiCoefB = 0.070566
)

// maxPhi bounds phi so that it is always finite.
const maxPhi = math.MaxFloat64

// minStdDevMillis is the smallest standard deviation ever used (1 ns), a
// guard against a non-positive MinStdDeviation in an unvalidated config.
const minStdDevMillis = 1e-6

// Config configures the detector, with the meaning of the library's
// FailureDetectorConfig fields of the same names.
type Config struct {
	// PhiThreshold is the suspicion level above which a peer is convicted.
	PhiThreshold float64
	// SamplingWindowSize is the number of inter-arrival times kept.
	SamplingWindowSize uint
	// MinStdDeviation is the least standard deviation used.
	MinStdDeviation time.Duration
	// AcceptableHeartbeatPause is added to the mean interval.
	AcceptableHeartbeatPause time.Duration
	// FirstHeartbeatEstimate seeds a window on its first arrival.
	FirstHeartbeatEstimate time.Duration
}

// DefaultConfig returns the defaults of the library's LAN configuration:
// a peer sending heartbeats every second is convicted after about 4.5 s of
// silence.
func DefaultConfig() Config {
	return Config{
		PhiThreshold:             8,
		SamplingWindowSize:       1000,
		MinStdDeviation:          100 * time.Millisecond,
		AcceptableHeartbeatPause: 3 * time.Second,
		FirstHeartbeatEstimate:   time.Second,
	}
}

// Params are the detector settings every Window of one owner shares, so
// that a window itself holds only its history, and the epoch of the stored
// times.
type Params struct {
	maxSamples    int
	pauseMillis   float64 // AcceptableHeartbeatPause
	minStdMillis  float64 // MinStdDeviation
	firstEstimate float64 // FirstHeartbeatEstimate
	calmY         float64 // y at or below which phi ≤ PhiThreshold (see CalmUntil)

	// Windows store times as nanoseconds since epoch, the first time any
	// of them was given, which takes a third of the room of a time.Time.
	epoch    time.Time
	epochSet bool
}

// NoTime is the stored time of "never": before every other.
const NoTime = math.MinInt64

// Mono returns t as nanoseconds since the epoch, which the first call sets.
// Differences of the results equal t.Sub differences, monotonic clock
// readings included, for times within a couple of centuries of the epoch.
func (p *Params) Mono(t time.Time) int64 {
	if !p.epochSet {
		p.epoch, p.epochSet = t, true
	}
	return int64(t.Sub(p.epoch))
}

// At converts a stored time back.
func (p *Params) At(m int64) time.Time { return p.epoch.Add(time.Duration(m)) }

// NewParams returns the shared settings for cfg. Fields out of range are
// clamped (a window of at least one sample, a positive first estimate), so
// that any Config gives finite phi values.
func NewParams(cfg Config) *Params {
	p := &Params{
		maxSamples:    int(min(cfg.SamplingWindowSize, math.MaxInt32)),
		pauseMillis:   durationMillis(max(cfg.AcceptableHeartbeatPause, 0)),
		minStdMillis:  max(durationMillis(cfg.MinStdDeviation), minStdDevMillis),
		firstEstimate: durationMillis(cfg.FirstHeartbeatEstimate),
		calmY:         thresholdY(cfg.PhiThreshold),
	}
	if p.maxSamples < 1 {
		p.maxSamples = 1
	}
	if !(p.firstEstimate > 0) {
		p.firstEstimate = durationMillis(time.Second)
	}
	return p
}

// Window is the heartbeat arrival history of one monitored peer: a
// ring buffer of inter-arrival times, in milliseconds, with a running sum and
// sum of squares so that heartbeat and phi are O(1). The buffer is allocated
// on the first heartbeat and grows up to SamplingWindowSize, so an idle
// window costs a few dozen bytes. Samples are float32, exact to well under a
// microsecond for intervals up to minutes, because a node holds one window
// per peer and a simulator one per pair of nodes; the sums are float64. The
// zero value is unusable: NewWindow binds a window to its Params. It is not
// safe for concurrent use.
type Window struct {
	p       *Params
	samples []float32 // inter-arrival times in ms; a ring once len == maxSamples
	sum     float64   // sum of samples
	sumSq   float64   // sum of squared samples
	last    int64     // time of the latest arrival (see Params.Mono)
	next    int32     // index of the oldest sample (next to overwrite) once full
	started bool      // at least one arrival since construction or reset
}

// NewWindow returns an empty window sharing p. It is returned by value so
// that an owner can hold windows inline.
func NewWindow(p *Params) Window { return Window{p: p} }

// Resume restarts the clock at now after an outage without recording the
// outage as an interval, keeping what the window learned before it. An
// unstarted window is started as by heartbeat.
func (w *Window) Resume(now time.Time) {
	if !w.started {
		w.Heartbeat(now)
		return
	}
	if m := w.p.Mono(now); m > w.last {
		w.last = m
	}
}

// Heartbeat records the arrival, at now, of an increase of the peer's
// heartbeat. The first arrival seeds the window, like Akka's firstHeartbeat,
// with two samples FirstHeartbeatEstimate ∓ 25 % so that phi is meaningful
// at once. Each later arrival adds the interval since the previous one;
// a non-positive interval (a duplicate or out-of-order timestamp) adds
// nothing, and the latest arrival time never moves backwards.
//
// A long silence is recorded like any interval, so a caller that convicts a
// peer and later sees it again should reset the window first.
func (w *Window) Heartbeat(now time.Time) {
	if !w.started {
		w.started = true
		w.last = w.p.Mono(now)
		first := w.p.firstEstimate
		w.add(first - first/4)
		w.add(first + first/4)
		return
	}
	m := w.p.Mono(now)
	d := m - w.last
	if d <= 0 {
		return
	}
	w.last = m
	w.add(durationMillis(time.Duration(d)))
}

// Phi returns the suspicion level at now that the peer has failed: 0 before
// the first arrival, otherwise a finite value ≥ 0 that does not decrease as
// now advances without a new arrival. See the comment at the top of this
// file for the formula.
func (w *Window) Phi(now time.Time) float64 {
	return w.PhiAtLeast(now, 0, 0)
}

// PhiAtLeast is Phi with the window's mean and standard deviation raised to
// at least meanFloor and sdFloor: the caller's knowledge of how irregularly
// heartbeats can arrive, which a window that has seen few of them lacks.
func (w *Window) PhiAtLeast(now time.Time, meanFloor, sdFloor time.Duration) float64 {
	if !w.started {
		return 0
	}
	elapsed := durationMillis(time.Duration(w.p.Mono(now) - w.last))
	mean := max(w.meanMillis(), durationMillis(meanFloor)) + w.p.pauseMillis
	sd := max(w.stdDevMillis(), w.p.minStdMillis, durationMillis(sdFloor))
	return phiFromY((elapsed - mean) / sd)
}

// phiFromY is -log10(1 - F) for the logistic approximation F of the normal
// CDF at y standard deviations from the mean, computed without overflow or
// underflow. It is never NaN, negative or +Inf.
func phiFromY(y float64) float64 {
	z := y * (phiCoefA + phiCoefB*y*y)
	var p float64
	if z > 0 {
		p = (z + math.Log1p(math.Exp(-z))) / math.Ln10
	} else {
		p = math.Log1p(math.Exp(z)) / math.Ln10
	}
	switch {
	case !(p > 0): // NaN, -0, or 0 after underflow
		return 0
	case p > maxPhi:
		return maxPhi
	}
	return p
}

// thresholdY returns, a little conservatively, the y at which phiFromY
// reaches threshold, or -Inf when threshold is not positive. Both branches
// of phiFromY equal log10(1 + e^z), so phi ≤ threshold exactly when
// z ≤ zc = ln(10^threshold - 1); z = y·(A + B·y²) is increasing, and the
// real root of B·y³ + A·y - zc = 0 follows from Cardano's formula.
func thresholdY(threshold float64) float64 {
	if !(threshold > 0) {
		return math.Inf(-1)
	}
	zc := threshold*math.Ln10 + math.Log1p(-math.Pow(10, -threshold))
	p, q := phiCoefA/phiCoefB, -zc/phiCoefB
	d := math.Sqrt(q*q/4 + p*p*p/27)
	y := math.Cbrt(-q/2+d) + math.Cbrt(-q/2-d)
	// Stay clear of rounding: one millionth of a standard deviation.
	return y - 1e-6
}

// CalmUntil returns a time, as stored (see Params.Mono), before which
// phi stays at or below the threshold the window was configured with, or
// NoTime when unknown: until last + mean + calmY·sd, minus a microsecond, y
// is below calmY. The caller must ask again after the next arrival or reset.
func (w *Window) CalmUntil() int64 {
	if !w.started || math.IsInf(w.p.calmY, -1) {
		return NoTime
	}
	mean := w.meanMillis() + w.p.pauseMillis
	sd := max(w.stdDevMillis(), w.p.minStdMillis)
	ms := mean + w.p.calmY*sd - 1e-3
	if !(ms > 0) {
		return NoTime
	}
	return w.last + int64(min(ms*float64(time.Millisecond), math.MaxInt64/2))
}

// LastArrival returns the time of the latest arrival, or the zero time
// before the first one.
func (w *Window) LastArrival() time.Time {
	if !w.started {
		return time.Time{}
	}
	return w.p.At(w.last)
}

// LastMono is LastArrival as stored (see Params.Mono): NoTime before
// the first arrival.
func (w *Window) LastMono() int64 {
	if !w.started {
		return NoTime
	}
	return w.last
}

// Reset forgets all history: the window is as new, except that it keeps its
// buffer for reuse.
func (w *Window) Reset() {
	w.samples = w.samples[:0]
	w.next = 0
	w.sum, w.sumSq = 0, 0
	w.last = 0
	w.started = false
}

// add appends x, rounded to float32, to the window, evicting the oldest
// sample when full. The sums add the rounded value, so they always match
// the samples.
func (w *Window) add(ms float64) {
	x := float32(ms)
	if len(w.samples) < w.p.maxSamples {
		if len(w.samples) == cap(w.samples) {
			w.grow()
		}
		w.samples = append(w.samples, x)
		w.sum += float64(x)
		w.sumSq += float64(x) * float64(x)
		return
	}
	old := float64(w.samples[w.next])
	w.samples[w.next] = x
	w.sum += float64(x) - old
	w.sumSq += float64(x)*float64(x) - old*old
	w.next++
	if int(w.next) == len(w.samples) {
		// Once per full turn of the ring, recompute the sums exactly so
		// that rounding errors of the running updates cannot accumulate.
		// Amortised over the turn this is O(1) per sample.
		w.next = 0
		w.sum, w.sumSq = 0, 0
		for _, s := range w.samples {
			w.sum += float64(s)
			w.sumSq += float64(s) * float64(s)
		}
	}
}

// grow enlarges the buffer geometrically, never beyond maxSamples.
func (w *Window) grow() {
	c := min(max(2*cap(w.samples), 8), w.p.maxSamples)
	s := make([]float32, len(w.samples), c)
	copy(s, w.samples)
	w.samples = s
}

// meanMillis is the mean of the samples, 0 when there are none.
func (w *Window) meanMillis() float64 {
	if len(w.samples) == 0 {
		return 0
	}
	return w.sum / float64(len(w.samples))
}

// stdDevMillis is the population standard deviation of the samples, 0 when
// there are none.
func (w *Window) stdDevMillis() float64 {
	n := float64(len(w.samples))
	if n == 0 {
		return 0
	}
	m := w.sum / n
	v := w.sumSq/n - m*m
	if !(v > 0) { // rounding can make it slightly negative
		return 0
	}
	return math.Sqrt(v)
}

func durationMillis(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}

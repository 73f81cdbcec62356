package phi

import (
	"math"
	"testing"
	"time"
)

// fdBase is the fixed origin of all synthetic timestamps.
var fdBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return fdBase.Add(d) }

// newArrivalWindow returns an empty window with settings of its own.
func newArrivalWindow(cfg Config) *Window {
	w := NewWindow(NewParams(cfg))
	return &w
}

// wanConfig is the detector of the library's WAN configuration.
func wanConfig() Config {
	c := DefaultConfig()
	c.PhiThreshold = 12
	c.AcceptableHeartbeatPause = 10 * time.Second
	return c
}

// steadyWindow returns a window fed n heartbeats every interval, starting at
// fdBase, and the time of the last one.
func steadyWindow(cfg Config, n int, interval time.Duration) (*Window, time.Time) {
	w := newArrivalWindow(cfg)
	var t time.Time
	for i := range n {
		t = at(time.Duration(i) * interval)
		w.Heartbeat(t)
	}
	return w, t
}

// convictionDelay returns, to within a microsecond, the shortest silence
// after last for which phi exceeds threshold, by bisection (phi is
// monotonic). It fails the test if phi does not cross within limit.
func convictionDelay(t *testing.T, w *Window, last time.Time, threshold float64, limit time.Duration) time.Duration {
	t.Helper()
	lo, hi := time.Duration(0), limit
	if w.Phi(last.Add(lo)) > threshold {
		t.Fatalf("phi already above %v right after the last heartbeat", threshold)
	}
	if w.Phi(last.Add(hi)) <= threshold {
		t.Fatalf("phi %v still not above %v after %v", w.Phi(last.Add(hi)), threshold, hi)
	}
	for hi-lo > time.Microsecond {
		mid := lo + (hi-lo)/2
		if w.Phi(last.Add(mid)) > threshold {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

func requireSanePhi(t *testing.T, what string, p float64) {
	t.Helper()
	if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 || math.Signbit(p) {
		t.Fatalf("%s: phi = %v, want finite and >= 0", what, p)
	}
}

func TestPhiConvictionDelayDefault(t *testing.T) {
	cfg := DefaultConfig()
	w, last := steadyWindow(cfg, 100, time.Second)
	d := convictionDelay(t, w, last, cfg.PhiThreshold, time.Minute)
	t.Logf("default config, 1 s heartbeats: convicted after %v of silence", d)
	if d < 4300*time.Millisecond || d > 4700*time.Millisecond {
		t.Fatalf("conviction delay %v, want between 4.3 s and 4.7 s", d)
	}
}

func TestPhiConvictionDelayWAN(t *testing.T) {
	lan := DefaultConfig()
	wan := wanConfig()

	wl, lastL := steadyWindow(lan, 100, time.Second)
	ww, lastW := steadyWindow(wan, 100, time.Second)
	dl := convictionDelay(t, wl, lastL, lan.PhiThreshold, time.Minute)
	dw := convictionDelay(t, ww, lastW, wan.PhiThreshold, time.Minute)
	t.Logf("WAN config, 1 s heartbeats: convicted after %v of silence (LAN: %v)", dw, dl)
	// mean 1 s + pause 10 s, sd 100 ms, phi 12 at y ≈ 6.29.
	if dw < 11400*time.Millisecond || dw > 11900*time.Millisecond {
		t.Fatalf("WAN conviction delay %v, want about 11.6 s", dw)
	}
	if dw <= dl {
		t.Fatalf("WAN conviction delay %v not later than LAN %v", dw, dl)
	}

	// With the WAN gossip interval (and a first estimate to match, so the
	// seeds do not widen the deviation) the mean moves to 3 s + 10 s.
	wan3 := wan
	wan3.FirstHeartbeatEstimate = 3 * time.Second // the WAN gossip interval
	w3, last3 := steadyWindow(wan3, 200, 3*time.Second)
	d3 := convictionDelay(t, w3, last3, wan3.PhiThreshold, time.Minute)
	t.Logf("WAN config, 3 s heartbeats: convicted after %v of silence", d3)
	if d3 < 13400*time.Millisecond || d3 > 13900*time.Millisecond {
		t.Fatalf("WAN conviction delay with 3 s heartbeats %v, want about 13.6 s", d3)
	}
}

func TestPhiMonotonicInElapsed(t *testing.T) {
	cfg := DefaultConfig()
	// A jittery history, so that the deviation is above the minimum.
	w := newArrivalWindow(cfg)
	var last time.Time
	offs := time.Duration(0)
	for i := range 200 {
		offs += time.Second + time.Duration((i*37)%500-250)*time.Millisecond
		last = at(offs)
		w.Heartbeat(last)
	}
	if sd := w.stdDevMillis(); sd <= durationMillis(cfg.MinStdDeviation) {
		t.Fatalf("test setup: std deviation %v ms not above the minimum", sd)
	}
	prev := -1.0
	for e := -time.Second; e <= 60*time.Second; e += time.Millisecond {
		p := w.Phi(last.Add(e))
		requireSanePhi(t, "monotonic", p)
		if p < prev {
			t.Fatalf("phi decreased from %v to %v at elapsed %v", prev, p, e)
		}
		prev = p
	}
	if prev < 1000 {
		t.Fatalf("phi after a minute of silence = %v, want large", prev)
	}
}

func TestPhiNearZeroAfterHeartbeat(t *testing.T) {
	cfg := DefaultConfig()
	w := newArrivalWindow(cfg)
	if p := w.Phi(at(time.Hour)); p != 0 {
		t.Fatalf("phi before any arrival = %v, want 0", p)
	}
	for i := range 50 {
		now := at(time.Duration(i) * time.Second)
		w.Heartbeat(now)
		if p := w.Phi(now); p > 1e-6 {
			t.Fatalf("phi right after heartbeat %d = %v, want ~0", i, p)
		}
		if p := w.Phi(now.Add(time.Second)); p > 1e-3 {
			t.Fatalf("phi one interval after heartbeat %d = %v, want ~0", i, p)
		}
	}
}

// akkaPhi is the formula exactly as Akka writes it, as an oracle.
func akkaPhi(elapsed, mean, sd float64) float64 {
	y := (elapsed - mean) / sd
	e := math.Exp(-y * (1.5976 + 0.070566*y*y))
	if elapsed > mean {
		return -math.Log10(e / (1.0 + e))
	}
	return -math.Log10(1.0 - 1.0/(1.0+e))
}

func TestPhiValues(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name      string
		pause     time.Duration
		minStd    time.Duration
		intervals []time.Duration // after the first arrival
		elapsed   time.Duration
	}{
		{"seeds only, at mean", 0, 100 * ms, nil, time.Second},
		{"seeds only, early", 0, 100 * ms, nil, 500 * ms},
		{"seeds only, late", 0, 100 * ms, nil, 1500 * ms},
		{"seeds only, with pause", 3 * time.Second, 100 * ms, nil, 4200 * ms},
		{"jitter, sd above min", 0, 10 * ms, []time.Duration{800 * ms, 1200 * ms, 900 * ms, 1100 * ms, 1000 * ms}, 1600 * ms},
		{"jitter, sd clamped", 0, 500 * ms, []time.Duration{800 * ms, 1200 * ms, 900 * ms, 1100 * ms}, 2500 * ms},
		{"defaults, 3 s pause", 3 * time.Second, 100 * ms, []time.Duration{time.Second, time.Second, time.Second}, 4400 * ms},
		{"defaults, far out", 3 * time.Second, 100 * ms, []time.Duration{time.Second, time.Second, time.Second}, 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.AcceptableHeartbeatPause = tc.pause
			cfg.MinStdDeviation = tc.minStd
			w := newArrivalWindow(cfg)
			now := fdBase
			w.Heartbeat(now)
			samples := []float64{750, 1250}
			for _, d := range tc.intervals {
				now = now.Add(d)
				w.Heartbeat(now)
				samples = append(samples, durationMillis(d))
			}
			// Two-pass mean and population deviation of the samples.
			var sum float64
			for _, s := range samples {
				sum += s
			}
			mean := sum / float64(len(samples))
			var ss float64
			for _, s := range samples {
				ss += (s - mean) * (s - mean)
			}
			sd := max(math.Sqrt(ss/float64(len(samples))), durationMillis(tc.minStd))
			want := akkaPhi(durationMillis(tc.elapsed), mean+durationMillis(tc.pause), sd)
			got := w.Phi(now.Add(tc.elapsed))
			if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Fatalf("phi = %.12g, want %.12g (mean %v ms, sd %v ms)", got, want, mean, sd)
			}
		})
	}
}

func TestPhiKnownPoints(t *testing.T) {
	// Independent of the window: y = 0 is ln 2 / ln 10, and for large y phi
	// follows the asymptote z / ln 10 where Akka's form would be +Inf.
	if got, want := phiFromY(0), math.Log10(2); math.Abs(got-want) > 1e-15 {
		t.Fatalf("phiFromY(0) = %v, want %v", got, want)
	}
	y := 40.0
	z := y * (1.5976 + 0.070566*y*y)
	if got, want := phiFromY(y), z/math.Ln10; math.Abs(got-want) > 1e-9*want {
		t.Fatalf("phiFromY(%v) = %v, want %v", y, got, want)
	}
	if !math.IsInf(akkaPhi(y, 0, 1), 1) {
		t.Fatalf("test premise: Akka's form should overflow at y = %v", y)
	}
	for _, y := range []float64{math.Inf(-1), -1e300, -1e10, -40, -1, -1e-300, 0, 1e-300, 1, 40, 1e10, 1e300, math.Inf(1), math.NaN()} {
		requireSanePhi(t, "phiFromY", phiFromY(y))
	}
	if got := phiFromY(math.Inf(1)); got != maxPhi {
		t.Fatalf("phiFromY(+Inf) = %v, want maxPhi", got)
	}
}

func TestArrivalWindowEvictsOldSamples(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SamplingWindowSize = 10
	w := newArrivalWindow(cfg)
	now := fdBase
	for range 30 {
		now = now.Add(time.Second)
		w.Heartbeat(now)
	}
	if m := w.meanMillis(); math.Abs(m-1000) > 1e-9 {
		t.Fatalf("mean after 1 s heartbeats = %v ms, want 1000", m)
	}
	pSlow := w.Phi(now.Add(3500 * time.Millisecond))
	for i := range int(cfg.SamplingWindowSize) + 1 {
		now = now.Add(200 * time.Millisecond)
		w.Heartbeat(now)
		if i < int(cfg.SamplingWindowSize)-1 {
			if m := w.meanMillis(); m <= 200 {
				t.Fatalf("mean %v ms after only %d fast samples, want > 200", m, i+1)
			}
		}
	}
	if got := len(w.samples); got != int(cfg.SamplingWindowSize) {
		t.Fatalf("window holds %d samples, want %d", got, cfg.SamplingWindowSize)
	}
	if m := w.meanMillis(); math.Abs(m-200) > 1e-9 {
		t.Fatalf("mean after 200 ms heartbeats = %v ms, want 200", m)
	}
	if sd := w.stdDevMillis(); sd > 1e-3 {
		t.Fatalf("std deviation after steady heartbeats = %v ms, want ~0", sd)
	}
	if pFast := w.Phi(now.Add(3500 * time.Millisecond)); pFast <= pSlow {
		t.Fatalf("phi after 3.5 s with 200 ms heartbeats = %v, not above %v with 1 s heartbeats", pFast, pSlow)
	}
}

func TestArrivalWindowRunningSumsMatchContents(t *testing.T) {
	for _, size := range []uint{1, 2, 7, 1000} {
		cfg := DefaultConfig()
		cfg.SamplingWindowSize = size
		w := newArrivalWindow(cfg)
		now := fdBase
		w.Heartbeat(now)
		var intervals []float64
		for i := range 5000 {
			d := time.Duration(1+(i*7919)%3000) * time.Millisecond
			now = now.Add(d)
			w.Heartbeat(now)
			intervals = append(intervals, durationMillis(d))
		}
		last := intervals[len(intervals)-int(size):]
		var sum, sumSq float64
		for _, s := range last {
			sum += s
			sumSq += s * s
		}
		n := float64(size)
		wantMean := sum / n
		wantSd := math.Sqrt(max(sumSq/n-wantMean*wantMean, 0))
		if got := w.meanMillis(); math.Abs(got-wantMean) > 1e-6 {
			t.Fatalf("size %d: mean = %v, want %v", size, got, wantMean)
		}
		if got := w.stdDevMillis(); math.Abs(got-wantSd) > 1e-6 {
			t.Fatalf("size %d: sd = %v, want %v", size, got, wantSd)
		}
	}
}

func TestArrivalWindowConstantIntervalsVariance(t *testing.T) {
	// With constant intervals the running sums can give a slightly negative
	// variance (e.g. 333 µs in a window of 1000); it must be clamped to 0.
	for _, us := range []int{1, 3, 100, 333, 1100, 2900, 12345} {
		for _, size := range []uint{3, 10, 1000} {
			cfg := DefaultConfig()
			cfg.SamplingWindowSize = size
			w := newArrivalWindow(cfg)
			now := fdBase
			for range 3*size + 5 {
				now = now.Add(time.Duration(us) * time.Microsecond)
				w.Heartbeat(now)
			}
			if sd := w.stdDevMillis(); !(sd >= 0 && sd < 1e-3) {
				t.Fatalf("%d µs intervals, window %d: sd = %v, want ~0", us, size, sd)
			}
			mean := w.meanMillis() + durationMillis(cfg.AcceptableHeartbeatPause)
			p := w.Phi(now.Add(time.Duration(mean*float64(time.Millisecond)) + time.Second))
			requireSanePhi(t, "constant intervals", p)
			if p < cfg.PhiThreshold {
				t.Fatalf("%d µs intervals, window %d: phi 1 s past the mean = %v, want above threshold", us, size, p)
			}
		}
	}
}

func TestArrivalWindowLazyAllocation(t *testing.T) {
	cfg := DefaultConfig()
	w := newArrivalWindow(cfg)
	if cap(w.samples) != 0 {
		t.Fatalf("new window allocated %d samples up front", cap(w.samples))
	}
	w.Heartbeat(fdBase)
	if c := cap(w.samples); c == 0 || c > 16 {
		t.Fatalf("after the first heartbeat cap = %d, want small", c)
	}
	now := fdBase
	for range 3 * cfg.SamplingWindowSize {
		now = now.Add(time.Second)
		w.Heartbeat(now)
	}
	if c := cap(w.samples); c != int(cfg.SamplingWindowSize) {
		t.Fatalf("full window cap = %d, want %d", c, cfg.SamplingWindowSize)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(time.Second)
		w.Heartbeat(now)
		_ = w.Phi(now.Add(2 * time.Second))
	})
	if allocs != 0 {
		t.Fatalf("heartbeat+phi on a full window: %v allocs, want 0", allocs)
	}
}

func TestArrivalWindowDegenerateIntervals(t *testing.T) {
	cfg := DefaultConfig()
	w := newArrivalWindow(cfg)
	w.Heartbeat(at(10 * time.Second))
	n := len(w.samples)

	// Zero and negative intervals add nothing and never move time back.
	w.Heartbeat(at(10 * time.Second))
	w.Heartbeat(at(5 * time.Second))
	w.Heartbeat(at(-time.Hour))
	if len(w.samples) != n {
		t.Fatalf("non-positive intervals recorded: %d samples, want %d", len(w.samples), n)
	}
	if got := w.LastArrival(); !got.Equal(at(10 * time.Second)) {
		t.Fatalf("lastArrival = %v, want %v", got, at(10*time.Second))
	}
	requireSanePhi(t, "before last arrival", w.Phi(at(0)))
	requireSanePhi(t, "far before last arrival", w.Phi(time.Time{}))
	if p := w.Phi(at(0)); p > 1e-6 {
		t.Fatalf("phi before the last arrival = %v, want ~0", p)
	}

	// Tiny intervals make mean and deviation tiny; phi stays finite.
	now := at(10 * time.Second)
	for range 2000 {
		now = now.Add(time.Nanosecond)
		w.Heartbeat(now)
	}
	for _, e := range []time.Duration{0, time.Nanosecond, time.Microsecond, time.Second, time.Hour, math.MaxInt64} {
		requireSanePhi(t, "tiny intervals", w.Phi(now.Add(e)))
	}

	// Huge gaps, up to the end of the range a window keeps times in (about
	// 292 years from the first it saw; beyond, times saturate).
	far := now.Add(100 * 365 * 24 * time.Hour)
	w.Heartbeat(far)
	w.Heartbeat(far.Add(100 * 365 * 24 * time.Hour))
	for _, e := range []time.Duration{-math.MaxInt64, 0, time.Second, math.MaxInt64} {
		requireSanePhi(t, "huge gaps", w.Phi(far.Add(e)))
	}
	if p := w.Phi(far.Add(math.MaxInt64).Add(math.MaxInt64)); p <= cfg.PhiThreshold {
		t.Fatalf("phi after the largest elapsed time = %v, want above the threshold", p)
	}
	requireSanePhi(t, "huge elapsed", w.Phi(far.Add(math.MaxInt64).Add(math.MaxInt64)))

	// An unvalidated config (zero deviation floor, zero window) stays sane.
	bad := Config{}
	wb := newArrivalWindow(bad)
	for i := range 10 {
		wb.Heartbeat(at(time.Duration(i) * time.Second))
	}
	for _, e := range []time.Duration{-time.Hour, 0, 999 * time.Millisecond, time.Second, time.Hour} {
		requireSanePhi(t, "zero config", wb.Phi(at(9*time.Second+e)))
	}
	if p := wb.Phi(at(time.Hour)); p < 8 {
		t.Fatalf("zero config: phi after an hour = %v, want large", p)
	}
}

func TestArrivalWindowReset(t *testing.T) {
	cfg := DefaultConfig()
	w, last := steadyWindow(cfg, 50, 200*time.Millisecond)
	if w.Phi(last.Add(3500*time.Millisecond)) <= 0 {
		t.Fatal("test setup: phi should be positive after a pause")
	}
	w.Reset()
	if p := w.Phi(last.Add(time.Hour)); p != 0 {
		t.Fatalf("phi after reset = %v, want 0", p)
	}
	if !w.LastArrival().IsZero() {
		t.Fatalf("lastArrival after reset = %v, want zero", w.LastArrival())
	}
	if w.meanMillis() != 0 || w.stdDevMillis() != 0 {
		t.Fatalf("stats after reset: mean %v sd %v, want 0", w.meanMillis(), w.stdDevMillis())
	}

	// After reset the window behaves exactly like a new one.
	fresh := newArrivalWindow(cfg)
	start := last.Add(time.Minute)
	for i := range 5 {
		now := start.Add(time.Duration(i) * time.Second)
		w.Heartbeat(now)
		fresh.Heartbeat(now)
	}
	if !w.LastArrival().Equal(fresh.LastArrival()) {
		t.Fatalf("lastArrival %v, want %v", w.LastArrival(), fresh.LastArrival())
	}
	for e := time.Duration(0); e < 10*time.Second; e += 250 * time.Millisecond {
		now := fresh.LastArrival().Add(e)
		if a, b := w.Phi(now), fresh.Phi(now); a != b {
			t.Fatalf("reset window phi %v, new window phi %v at +%v", a, b, e)
		}
	}
}

func TestArrivalWindowLastArrival(t *testing.T) {
	w := newArrivalWindow(DefaultConfig())
	if !w.LastArrival().IsZero() {
		t.Fatal("lastArrival before any heartbeat should be zero")
	}
	w.Heartbeat(at(time.Second))
	w.Heartbeat(at(2 * time.Second))
	if got := w.LastArrival(); !got.Equal(at(2 * time.Second)) {
		t.Fatalf("lastArrival = %v, want %v", got, at(2*time.Second))
	}
}

var phiSink float64

func BenchmarkArrivalWindowHeartbeat(b *testing.B) {
	w := newArrivalWindow(DefaultConfig())
	now := fdBase
	for range 2000 {
		now = now.Add(time.Second)
		w.Heartbeat(now)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now = now.Add(time.Second + time.Duration(i%64)*time.Millisecond)
		w.Heartbeat(now)
	}
}

func BenchmarkArrivalWindowPhi(b *testing.B) {
	w := newArrivalWindow(DefaultConfig())
	now := fdBase
	for range 2000 {
		now = now.Add(time.Second + time.Duration(now.UnixNano()%97)*time.Millisecond)
		w.Heartbeat(now)
	}
	b.ReportAllocs()
	var s float64
	for i := 0; b.Loop(); i++ {
		s += w.Phi(now.Add(time.Duration(i%8192) * time.Millisecond))
	}
	phiSink = s
}

func TestPhiAtLeastRaisesMeanAndDeviation(t *testing.T) {
	w := newArrivalWindow(DefaultConfig())
	base := time.Unix(1_700_000_000, 0)
	for i := range 50 {
		w.Heartbeat(base.Add(time.Duration(i) * time.Second))
	}
	at := base.Add(49*time.Second + 6*time.Second)
	if got, want := w.PhiAtLeast(at, 0, 0), w.Phi(at); got != want {
		t.Fatalf("zero floors: phiAtLeast = %v, phi = %v", got, want)
	}
	if w.Phi(at) <= 8 {
		t.Fatalf("6 s of silence after steady 1 s heartbeats: phi %v, want > 8", w.Phi(at))
	}
	// Heartbeats that may arrive every 2 s +- 2 s make 6 s unremarkable.
	if p := w.PhiAtLeast(at, 2*time.Second, 2*time.Second); p >= 1 {
		t.Fatalf("phi with floors = %v, want < 1", p)
	}
	// Floors below the window's own statistics change nothing.
	if got, want := w.PhiAtLeast(at, time.Millisecond, time.Millisecond), w.Phi(at); got != want {
		t.Fatalf("low floors: phiAtLeast = %v, phi = %v", got, want)
	}
}

package main

import (
	"cmp"
	"maps"
	"slices"
	"sync"
	"time"
)

// phiHistory keeps, for each live peer, its phi sampled once per gossip
// interval over a bounded window, for the dashboard's sparklines
// (/v1/phi). A peer that stays out of the samples (dead, or gone) for a
// whole window is forgotten.
type phiHistory struct {
	mu     sync.Mutex
	max    int // samples kept per peer
	window time.Duration
	peers  map[string][]phiSample
}

// phiSample is one sample: Unix milliseconds and phi.
type phiSample struct {
	t   int64
	phi float64
}

// newPhiHistory keeps window's worth of samples taken every interval, at
// most maxPhiSamples of them.
func newPhiHistory(window, interval time.Duration) *phiHistory {
	n := min(max(int(window/interval), 1), maxPhiSamples)
	return &phiHistory{max: n, window: window, peers: map[string][]phiSample{}}
}

// maxPhiSamples bounds the samples kept per peer, whatever the window.
const maxPhiSamples = 1200

// add records one sample of every live peer's phi taken at now.
func (h *phiHistory) add(now time.Time, phi map[string]float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := now.UnixMilli()
	for id, p := range phi {
		s := h.peers[id]
		if len(s) == h.max {
			copy(s, s[1:])
			s = s[:h.max-1]
		}
		h.peers[id] = append(s, phiSample{t: t, phi: p})
	}
	old := now.Add(-h.window).UnixMilli()
	for id, s := range h.peers {
		if s[len(s)-1].t < old {
			delete(h.peers, id)
		}
	}
}

// since returns each peer's samples taken after Unix millisecond t, as
// [t, phi] pairs, by peer ID.
func (h *phiHistory) since(t int64) map[string][][2]float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string][][2]float64, len(h.peers))
	for _, id := range slices.Sorted(maps.Keys(h.peers)) {
		s := h.peers[id]
		i, _ := slices.BinarySearchFunc(s, t+1, func(x phiSample, t int64) int { return cmp.Compare(x.t, t) })
		pairs := make([][2]float64, 0, len(s)-i)
		for _, x := range s[i:] {
			pairs = append(pairs, [2]float64{float64(x.t), x.phi})
		}
		out[id] = pairs
	}
	return out
}

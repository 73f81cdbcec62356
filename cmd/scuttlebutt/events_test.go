package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func keyEvent(i int) eventJSON {
	return eventJSON{Kind: kindKey, Type: "set", Node: "n", Key: "k", Value: fmt.Sprint(i)}
}

func TestBrokerReplayAndFanOut(t *testing.T) {
	b := newBroker()
	for i := range 3 {
		b.publish(keyEvent(i))
	}
	past, all := b.subscribe(0, true)
	require.Len(t, past, 3)
	require.Equal(t, uint64(1), past[0].id)
	past, fromTwo := b.subscribe(2, true)
	require.Len(t, past, 1)
	require.Equal(t, uint64(3), past[0].id)
	past, live := b.subscribe(0, false)
	require.Empty(t, past)

	b.publish(keyEvent(3))
	for _, s := range []*eventSub{all, fromTwo, live} {
		e := <-s.ch
		require.Equal(t, uint64(4), e.id)
		var data eventJSON
		require.NoError(t, json.Unmarshal(e.data, &data))
		require.Equal(t, "3", data.Value)
	}
	b.unsubscribe(live)
	_, ok := <-live.ch
	require.False(t, ok)
	b.unsubscribe(live) // twice is harmless

	b.close()
	_, ok = <-all.ch
	require.False(t, ok)
	_, closed := b.subscribe(0, true)
	_, ok = <-closed.ch
	require.False(t, ok, "subscribing to a closed broker ends at once")
}

func TestBrokerBacklogIsBounded(t *testing.T) {
	b := newBroker()
	for i := range eventBacklog + 10 {
		b.publish(keyEvent(i))
	}
	past, _ := b.subscribe(0, true)
	require.Len(t, past, eventBacklog)
	require.Equal(t, uint64(11), past[0].id)
	require.Equal(t, uint64(eventBacklog+10), past[len(past)-1].id)
}

func TestBrokerDropsSlowClient(t *testing.T) {
	b := newBroker()
	_, slow := b.subscribe(0, false)
	for i := range clientBuffer + 1 {
		b.publish(keyEvent(i)) // never blocks
	}
	n := 0
	for range slow.ch {
		n++
	}
	require.Equal(t, clientBuffer, n, "the slow client got what fit, then its stream closed")
	b.unsubscribe(slow)
}

func TestPhiHistory(t *testing.T) {
	h := newPhiHistory(time.Second, 250*time.Millisecond) // 4 samples
	start := time.UnixMilli(1_000_000)
	for i := range 6 {
		h.add(start.Add(time.Duration(i)*250*time.Millisecond), map[string]float64{"a": float64(i)})
	}
	got := h.since(0)["a"]
	require.Len(t, got, 4, "bounded to the window")
	require.Equal(t, [2]float64{float64(start.UnixMilli() + 500), 2}, got[0])
	require.Equal(t, 5.0, got[3][1])
	require.Len(t, h.since(start.UnixMilli() + 1000)["a"], 1)
	require.Empty(t, h.since(start.UnixMilli() + 5000)["a"])

	// b appears, a stops being sampled (dead) and is forgotten after a window.
	later := start.Add(3 * time.Second)
	h.add(later, map[string]float64{"b": 1})
	require.NotContains(t, h.since(0), "a")
	require.Len(t, h.since(0)["b"], 1)
}

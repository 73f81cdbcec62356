package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/scuttlego/scuttlebutt"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

const injectAbout = `Sends one gossip message, described in JSON (see below), to the gossip
address ADDR of a node, and with -wait prints each datagram that comes back
within that time, decoded, as one line of JSON; it fails (exit 1) if none
came. The JSON is the second argument, or standard input when only ADDR is
given. With -key-file the message is encrypted, and replies decrypted, as
the cluster's nodes do it; with -compress its body is DEFLATE-compressed.

Message JSON ("type" is syn, synack, ack, heartbeat or push; "from" the
sender's node ID; "cluster", if given, overrides -cluster):

  {"type": "syn", "from": "probe", "digest": {"complete": true, "entries": [
     {"id": "a", "generation": 1, "flags": 0, "max_version": 3, "gc_version": 0}]}}
  {"type": "ack", "from": "probe", "delta": {"nodes": [{"id": "probe",
     "addr": "10.0.0.9:9111", "generation": 1, "flags": 0, "from_version": 0,
     "max_version": 1, "gc_version": 0, "entries": [
       {"key": "role", "value": "probe", "version": 1, "status": "set"}]}]}}
  {"type": "heartbeat", "from": "probe", "generation": 1, "seq": 5, "since": 1,
     "heard": 2, "subjects": 3, "max_version": 1}
  {"type": "push", "from": "probe", "hops": 0, "delta": {"nodes": [...]}}

A node answers a sender it does not know with at most four times the bytes
it was sent, so a small Syn gets a small SynAck.`

// maxDatagram is the largest UDP payload over IPv4.
const maxDatagram = scuttlebutt.MaxPacketSizeLimit

// runInject is "scuttlebutt inject ADDR [JSON]".
func runInject(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "inject", "ADDR [JSON]", injectAbout)
	cluster := fs.String("cluster", scuttlebutt.DefaultLANConfig().ClusterID, "cluster ID of the header")
	keyFile := fs.String("key-file", "", "file of the cluster's AES keys (as for agent): encrypt with the first, decrypt replies with any")
	compress := fs.Bool("compress", false, "compress the body (DEFLATE), as nodes do with large bodies")
	wait := fs.Duration("wait", 0, "wait this long for replies and print them (0: send and exit)")
	count := fs.Int("count", 0, "with -wait, exit after this many replies (0: wait the whole time)")
	bind := fs.String("bind", "0.0.0.0:0", "local UDP host:port to send from")
	pos, code, ok := parseFlags(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageError(fs, "want ADDR [JSON], got %d arguments", len(pos))
	}
	if *wait < 0 {
		return usageError(fs, "-wait must not be negative, got %v", *wait)
	}
	if *count < 0 {
		return usageError(fs, "-count must not be negative, got %d", *count)
	}
	var data []byte
	if len(pos) == 2 {
		data = []byte(pos[1])
	} else {
		var err error
		if data, err = io.ReadAll(io.LimitReader(c.stdin, 16<<20)); err != nil {
			return fail(c, "inject", fmt.Errorf("reading standard input: %w", err))
		}
	}
	msg, err := parseMessage(data)
	if err != nil {
		return usageError(fs, "%v", err)
	}
	if msg.Cluster == "" {
		msg.Cluster = *cluster
	}
	if len(msg.Cluster) > wire.MaxClusterIDLen {
		return usageError(fs, "cluster ID longer than %d bytes", wire.MaxClusterIDLen)
	}
	var keys [][]byte
	if *keyFile != "" {
		if keys, err = readKeyFile(*keyFile); err != nil {
			return fail(c, "inject", err)
		}
	}
	t, body, err := msg.body()
	if err != nil {
		return usageError(fs, "%v", err)
	}
	datagram, err := frame(wire.Header{Type: t, ClusterID: msg.Cluster}, body, *compress, keys)
	if err != nil {
		return fail(c, "inject", err)
	}
	if len(datagram) > maxDatagram {
		return fail(c, "inject", fmt.Errorf("the datagram is %d bytes, more than UDP carries (%d)", len(datagram), maxDatagram))
	}
	replies := 0
	_, err = exchange(ctx, *bind, pos[0], datagram, *wait, func(from string, b []byte) (bool, error) {
		replies++
		return *count == 0 || replies < *count, printReply(c.stdout, from, b, keys)
	})
	if err != nil {
		return fail(c, "inject", err)
	}
	if *wait > 0 && replies == 0 {
		return fail(c, "inject", fmt.Errorf("no reply from %s within %v", pos[0], *wait))
	}
	return exitOK
}

// exchange sends datagram from a socket bound to bind to addr and hands
// every datagram received on that socket within wait to fn, until fn
// returns false or an error. It returns how many were received.
func exchange(ctx context.Context, bind, addr string, datagram []byte, wait time.Duration, fn func(from string, b []byte) (bool, error)) (int, error) {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return 0, fmt.Errorf("address %q: %w", addr, err)
	}
	laddr, err := net.ResolveUDPAddr("udp", bind)
	if err != nil {
		return 0, fmt.Errorf("-bind %q: %w", bind, err)
	}
	conn, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if _, err := conn.WriteToUDP(datagram, raddr); err != nil {
		return 0, fmt.Errorf("sending to %s: %w", raddr, err)
	}
	if wait == 0 {
		return 0, nil
	}
	deadline := time.Now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	if err := conn.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	buf := make([]byte, maxDatagram+1)
	n := 0
	for {
		size, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return n, nil
			}
			return n, err
		}
		n++
		if more, err := fn(net.UDPAddrFromAddrPort(netip.AddrPortFrom(from.Addr().Unmap(), from.Port())).String(), buf[:size]); err != nil || !more {
			return n, err
		}
	}
}

// printReply prints one received datagram as a line of JSON.
func printReply(w io.Writer, from string, b []byte, keys [][]byte) error {
	m := &messageJSON{}
	h, body, err := unframe(b, keys)
	if err == nil {
		var d *messageJSON
		if d, err = decodeMessage(h.Type, body); err == nil {
			m = d
		}
	}
	if err != nil {
		m.Error = err.Error()
		if m.Type == "" {
			for name, t := range msgTypes {
				if t == h.Type {
					m.Type = name
				}
			}
		}
	}
	m.Cluster, m.Source, m.Bytes, m.Flags = h.ClusterID, from, len(b), flagNames(h.Flags)
	out, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

func flagNames(f uint8) []string {
	var names []string
	if f&wire.FlagCompressed != 0 {
		names = append(names, "compressed")
	}
	if f&wire.FlagEncrypted != 0 {
		names = append(names, "encrypted")
	}
	if rest := f &^ (wire.FlagCompressed | wire.FlagEncrypted); rest != 0 {
		names = append(names, fmt.Sprintf("0x%02x", rest))
	}
	return names
}

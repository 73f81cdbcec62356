package scuttlebutt

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Addresses. Every address the library takes (ListenAddr,
// GossipPublicAddress, seeds) is "host:port", as Transport says, and is
// checked before use, so that a typo is an error at once rather than a
// join that waits for nobody.

// addrUse says what an address is for, which decides what it may omit.
type addrUse uint8

const (
	// addrListen: a host may be empty (every interface), a port 0 (any).
	addrListen addrUse = iota
	// addrPeer: a host and a port from 1 to 65535 are required.
	addrPeer
)

// checkAddr validates addr for use: a host (an IP address, a DNS name, or
// for addrListen nothing) and a decimal port.
func checkAddr(addr string, use addrUse) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return fmt.Errorf("%q is not host:port: %s", addr, ae.Err)
		}
		return fmt.Errorf("%q is not host:port", addr)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	switch {
	case err != nil:
		return fmt.Errorf("%q: port %q is not a number from 1 to 65535", addr, port)
	case p == 0 && use == addrPeer:
		return fmt.Errorf("%q: port 0 names no peer", addr)
	case host == "" && use == addrPeer:
		return fmt.Errorf("%q: no host", addr)
	case host == "":
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if !validHostName(host) {
		return fmt.Errorf("%q: %q is neither an IP address nor a host name", addr, host)
	}
	return nil
}

// validHostName reports whether h is a syntactically valid DNS name:
// labels of letters, digits, '-' and '_', 1 to 63 bytes, not starting or
// ending with '-', 253 bytes in all, with an optional final dot.
func validHostName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

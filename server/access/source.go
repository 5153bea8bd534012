package access

import (
	"encoding/hex"
	"net/netip"
)

// Group hashes read at most this much of each header (a longer User-Agent is a tool's, held by
// its other signals; no browser sends an Accept-Language this long).
const (
	groupAgentMax    = 512
	groupLanguageMax = 128
)

// groupOf is the /16 (IPv4) or /32 (IPv6) of an address's group: a network large enough that a
// farm spread over its /24s stays in it, small enough that one carrier's or provider's voters
// do not all share one group with every other network.
func groupOf(a netip.Addr) netip.Prefix { return Prefix(a, 16, 32) }

// Subnet is the /24 (IPv4) or /48 (IPv6) an address is counted in.
func Subnet(a netip.Addr) netip.Prefix { return Prefix(a, 24, 48) }

// Prefix is the prefix of a of v4 bits (IPv4) or v6 bits (IPv6).
func Prefix(a netip.Addr, v4, v6 int) netip.Prefix {
	bits := v4
	if a.Is6() {
		bits = v6
	}
	p, _ := a.Prefix(bits)
	return p
}

// SourceHash is the keyed hash of an address (kind "ip"): 64 bits in hex. SubnetHash is that of
// the address's /24 or /48 (kind "net").
func (k Keys) SourceHash(kind string, a netip.Addr) string {
	var buf [64]byte
	return k.hashSource(kind, a.AppendTo(buf[:0]))
}

func (k Keys) SubnetHash(a netip.Addr) string {
	var buf [64]byte
	return k.hashSource("net", Subnet(a).AppendTo(buf[:0]))
}

// GroupHash is the keyed hash (kind "grp") of the sources that behave alike: the address's /16
// or /32 (groupOf), the User-Agent and the Accept-Language value, as the request sent them (the
// first groupAgentMax and groupLanguageMax bytes). It allocates only the string it returns.
func (k Keys) GroupHash(a netip.Addr, agent, language string) string {
	var buf [64 + groupAgentMax + groupLanguageMax + 2]byte
	text := append(groupOf(a).AppendTo(buf[:0]), 0)
	text = append(append(text, agent[:min(len(agent), groupAgentMax)]...), 0)
	text = append(text, language[:min(len(language), groupLanguageMax)]...)
	return k.hashSource("grp", text)
}

// hashSource is HMAC(source key, kind 0 text 0), the first 8 bytes in hex. It allocates only the
// string it returns: the vote path calls it three times.
func (k Keys) hashSource(kind string, text []byte) string {
	sum := k.source.digest(func(msg []byte) []byte {
		return append(append(append(append(msg, kind...), 0), text...), 0)
	})
	var out [16]byte
	hex.Encode(out[:], sum[:8])
	return string(out[:])
}

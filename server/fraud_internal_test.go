package server

import (
	"net/netip"
	"testing"
)

func TestSourceHashes(t *testing.T) {
	k := newKeys([]byte("secret"))
	a, b := netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("203.0.113.200")
	if k.sourceHash("ip", a) == k.sourceHash("ip", b) || k.subnetHash(a) != k.subnetHash(b) || len(k.subnetHash(a)) != 16 {
		t.Errorf("hashes: %s %s, subnets %s %s", k.sourceHash("ip", a), k.sourceHash("ip", b), k.subnetHash(a), k.subnetHash(b))
	}
	if k.subnetHash(a) == k.subnetHash(netip.MustParseAddr("203.0.114.7")) {
		t.Error("two /24s share a hash")
	}
	v6, w6 := netip.MustParseAddr("2001:db8:5:1::7"), netip.MustParseAddr("2001:db8:5:ffff::1")
	if k.subnetHash(v6) != k.subnetHash(w6) || k.subnetHash(v6) == k.subnetHash(netip.MustParseAddr("2001:db8:6::1")) {
		t.Error("IPv6 subnets are not the /48")
	}
	if other := newKeys([]byte("other secret")); other.sourceHash("ip", a) == k.sourceHash("ip", a) {
		t.Error("the hash does not depend on the secret")
	}
}

func TestParseSubnet(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7/24":         "203.0.113.0/24",
		" 198.51.100.9 ":         "198.51.100.9/32",
		"2001:db8:5::/48":        "2001:db8:5::/48",
		"::ffff:203.0.113.0/120": "203.0.113.0/24",
		"10.0.0.0/8":             "10.0.0.0/8",
		"10.0.0.0/7":             "",
		"::/0":                   "",
		"fe80::1%eth0":           "",
		"":                       "",
		"203.0.113.0/33":         "",
	} {
		p, ok := parseSubnet(in)
		if got := p.String(); ok != (want != "") || ok && got != want {
			t.Errorf("parseSubnet(%q) = %s, %v; want %q", in, got, ok, want)
		}
	}
}

func BenchmarkSourceHash(b *testing.B) {
	k := newKeys([]byte("secret"))
	a := netip.MustParseAddr("203.0.113.7")
	for b.Loop() {
		k.sourceHash("ip", a)
		k.subnetHash(a)
	}
}

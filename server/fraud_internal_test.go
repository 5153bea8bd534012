package server

import (
	"net/netip"
	"strings"
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

// raceBuild is set in a build with the race detector (race_internal_test.go).
var raceBuild bool

// TestGroupHashes: a group is one /16 (/32) and one pair of headers, whoever of it sends them; a
// source hash allocates only its string.
func TestGroupHashes(t *testing.T) {
	k := newKeys([]byte("secret"))
	const phone, lang = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile/15E148 Safari/604.1", "en-GB,en;q=0.9"
	group := func(addr, agent, language string) string {
		return k.groupHash(netip.MustParseAddr(addr), agent, language)
	}
	base := group("203.0.113.7", phone, lang)
	if len(base) != 16 || base == k.subnetHash(netip.MustParseAddr("203.0.113.7")) {
		t.Errorf("group hash %q", base)
	}
	if group("203.0.200.9", phone, lang) != base || group("2001:db8:1:2::1", phone, lang) != group("2001:db8:ffff::9", phone, lang) {
		t.Error("two /24s of one /16 (two /48s of one /32) are not one group")
	}
	for name, other := range map[string]string{
		"another /16":      group("203.1.113.7", phone, lang),
		"another agent":    group("203.0.113.7", phone+" ", lang),
		"another language": group("203.0.113.7", phone, "zh-CN"),
		"no language":      group("203.0.113.7", phone, ""),
		"headers shifted":  group("203.0.113.7", phone+"\x00"+lang, ""),
		"another secret":   newKeys([]byte("other secret")).groupHash(netip.MustParseAddr("203.0.113.7"), phone, lang),
	} {
		if other == base {
			t.Errorf("%s: the same group", name)
		}
	}
	long := strings.Repeat("x", 5000)
	if group("203.0.113.7", long, long) != group("203.0.113.7", long[:groupAgentMax], long[:groupLanguageMax]) {
		t.Error("long headers: not cut at their maximum")
	}
	if raceBuild {
		return
	}
	a := netip.MustParseAddr("203.0.113.7")
	for name, hash := range map[string]func(){"group": func() { k.groupHash(a, long, lang) },
		"ip": func() { k.sourceHash("ip", a) }, "subnet": func() { k.subnetHash(a) }} {
		if n := testing.AllocsPerRun(100, hash); n > 1 {
			t.Errorf("%s hash: %v allocations, want 1 (its string)", name, n)
		}
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
		k.groupHash(a, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile/15E148 Safari/604.1", "en-GB,en;q=0.9")
	}
}

package access

import (
	"net/netip"
	"strings"
	"testing"
)

func TestSourceHashes(t *testing.T) {
	k := NewKeys([]byte("secret"))
	a, b := netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("203.0.113.200")
	if k.SourceHash("ip", a) == k.SourceHash("ip", b) || k.SubnetHash(a) != k.SubnetHash(b) || len(k.SubnetHash(a)) != 16 {
		t.Errorf("hashes: %s %s, subnets %s %s", k.SourceHash("ip", a), k.SourceHash("ip", b), k.SubnetHash(a), k.SubnetHash(b))
	}
	if k.SubnetHash(a) == k.SubnetHash(netip.MustParseAddr("203.0.114.7")) {
		t.Error("two /24s share a hash")
	}
	v6, w6 := netip.MustParseAddr("2001:db8:5:1::7"), netip.MustParseAddr("2001:db8:5:ffff::1")
	if k.SubnetHash(v6) != k.SubnetHash(w6) || k.SubnetHash(v6) == k.SubnetHash(netip.MustParseAddr("2001:db8:6::1")) {
		t.Error("IPv6 subnets are not the /48")
	}
	if other := NewKeys([]byte("other secret")); other.SourceHash("ip", a) == k.SourceHash("ip", a) {
		t.Error("the hash does not depend on the secret")
	}
}

// raceBuild is set in a build with the race detector (race_internal_test.go).
var raceBuild bool

// TestGroupHashes: a group is one /16 (/32) and one pair of headers, whoever of it sends them; a
// source hash allocates only its string.
func TestGroupHashes(t *testing.T) {
	k := NewKeys([]byte("secret"))
	const phone, lang = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile/15E148 Safari/604.1", "en-GB,en;q=0.9"
	group := func(addr, agent, language string) string {
		return k.GroupHash(netip.MustParseAddr(addr), agent, language)
	}
	base := group("203.0.113.7", phone, lang)
	if len(base) != 16 || base == k.SubnetHash(netip.MustParseAddr("203.0.113.7")) {
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
		"another secret":   NewKeys([]byte("other secret")).GroupHash(netip.MustParseAddr("203.0.113.7"), phone, lang),
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
	for name, hash := range map[string]func(){"group": func() { k.GroupHash(a, long, lang) },
		"ip": func() { k.SourceHash("ip", a) }, "subnet": func() { k.SubnetHash(a) }} {
		if n := testing.AllocsPerRun(100, hash); n > 1 {
			t.Errorf("%s hash: %v allocations, want 1 (its string)", name, n)
		}
	}
}

func BenchmarkSourceHash(b *testing.B) {
	k := NewKeys([]byte("secret"))
	a := netip.MustParseAddr("203.0.113.7")
	for b.Loop() {
		k.SourceHash("ip", a)
		k.SubnetHash(a)
		k.GroupHash(a, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile/15E148 Safari/604.1", "en-GB,en;q=0.9")
	}
}

package fraud

import (
	"testing"
)

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
		p, ok := ParseSubnet(in)
		if got := p.String(); ok != (want != "") || ok && got != want {
			t.Errorf("ParseSubnet(%q) = %s, %v; want %q", in, got, ok, want)
		}
	}
}

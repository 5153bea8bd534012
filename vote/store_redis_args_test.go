package vote

import (
	"testing"
	"time"
)

// BenchmarkCastScriptArgs measures building a ballot's part of the cast script's keys and
// arguments, which runs for every vote.
func BenchmarkCastScriptArgs(b *testing.B) {
	polls, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	p := polls[0]
	bl := Ballot{Receipt: "abcdefghijklmnopqrstuvwxyz", Voter: "0123456789abcdef0123456789abcdef",
		Choices: []string{"xianning"}, At: time.Now(), Source: &Source{IP: "ipip", Subnet: "netnet"}}
	var c castCall
	b.ReportAllocs()
	for b.Loop() {
		c.set(p, bl)
	}
}

package redisstore_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"github.com/livevote/livevote/vote/redisstore"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
)

// BenchmarkRedisCastSource measures one Cast, one at a time (round trips included), without and with a
// source to count: what the fraud checks add to the cast script.
func BenchmarkRedisCastSource(b *testing.B) {
	s, err := redisstore.Open(context.Background(), votetest.RedisURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, withSource := range []bool{false, true} {
		b.Run(fmt.Sprintf("source=%v", withSource), func(b *testing.B) {
			p := votetest.Poll(b)
			i := 0
			for b.Loop() {
				i++
				bal := vote.Ballot{Receipt: rand.Text(), Voter: rand.Text(), Choices: []string{"a"}, At: time.Now()}
				if withSource {
					bal.Source = vote.Source{IP: fmt.Sprintf("%016x", i%5000), Subnet: fmt.Sprintf("%016x", i%300),
						Caps: vote.SourceCaps{IPMinute: 20, IPHour: 100, SubnetMinute: 100, SubnetHour: 1000}}
				}
				if _, err := s.Cast(context.Background(), p, bal); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

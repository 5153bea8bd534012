package deploy_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/redisstore"
	"github.com/livevote/livevote/vote/votetest"
	"github.com/redis/go-redis/v9"
)

// BenchmarkRedisMemory measures what b.N ballots cost Redis in memory, for sizing (the figure of
// docs/OPERATING.md):
//
//	go test -run '^$' -bench RedisMemory -benchtime 100000x ./deploy/
//
// Each ballot is cast through the Redis store as the server casts it: its own voter, one choice,
// a proof-of-work challenge (kept until it expires, 10 minutes) and a source (its own address,
// 50 addresses to a subnet: source counters expire after 2.5 hours). It reports Redis's
// used_memory growth per 100,000 ballots right after the ballots ("peak", with everything that
// expires) and once the expiring keys are gone ("kept": what the vote keeps for good: voters,
// ballot log, tallies, turnout buckets).
func BenchmarkRedisMemory(b *testing.B) {
	if b.N < 1000 {
		return // the benchmark's first probe; a figure needs many ballots (-benchtime 100000x)
	}
	rs := votetest.StartRedis(b)
	ctx := context.Background()
	s, err := redisstore.Open(ctx, rs.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p := votetest.Poll(b)
	rdb := s.Client()
	before := usedMemory(b, rdb)

	const workers = 32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	b.ResetTimer()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.N; i += workers {
				now := time.Now()
				ch := sha256.Sum256([]byte(rand.Text()))
				bal := vote.Ballot{
					Receipt:        strings.ToLower(rand.Text()),
					Voter:          hex.EncodeToString(ch[:16]),
					Choices:        []string{p.Candidates[i%len(p.Candidates)].ID},
					At:             now.Truncate(time.Millisecond),
					Challenge:      hex.EncodeToString(ch[:]),
					ChallengeUntil: now.Add(10 * time.Minute),
					Source:         vote.Source{IP: fmt.Sprintf("%016x", i), Subnet: fmt.Sprintf("%016x", i/50)},
				}
				if _, err := s.Cast(ctx, p, bal); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	peak := usedMemory(b, rdb)

	// Drop what expires by itself (challenges, source counters), as time would.
	var expiring int
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		if ttl, err := rdb.TTL(ctx, iter.Val()).Result(); err == nil && ttl > 0 {
			rdb.Unlink(ctx, iter.Val())
			expiring++
		}
	}
	if err := iter.Err(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(time.Second) // UNLINK frees in the background
	kept := usedMemory(b, rdb)
	per := func(m int64) float64 { return float64(m-before) / float64(b.N) * 100000 / (1 << 20) }
	b.ReportMetric(per(peak), "MiB-peak/100k-ballots")
	b.ReportMetric(per(kept), "MiB-kept/100k-ballots")
	b.Logf("%d ballots: used_memory %d -> %d bytes right after (%d keys expire), %d once they have", b.N, before, peak, expiring, kept)
}

// usedMemory reads used_memory from INFO memory.
func usedMemory(b *testing.B, rdb redis.UniversalClient) int64 {
	b.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("no used_memory in INFO memory:\n%s", info)
	return 0
}

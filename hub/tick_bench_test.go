package hub_test

import (
	"context"
	"crypto/rand"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/redisstore"
	"github.com/livevote/livevote/vote/votetest"
)

// BenchmarkTickUnchanged measures a tick of a poll that nothing changed (100 ballots cast an hour
// ago, 100 public connections at 10 Hz) on the real stores: what the hub costs the process
// (cpu-ns/op: user and system CPU of the whole process per tick, go-redis included) and Redis
// (redis-cpu-ns/op, from INFO cpu: meaningful on a Redis of the benchmark's own, without
// LIVEVOTE_TEST_REDIS) while a vote is quiet. An op is one tick.
func BenchmarkTickUnchanged(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchTickUnchanged(b, memstore.New(), nil) })
	b.Run("redis", func(b *testing.B) {
		s, err := redisstore.Open(context.Background(), votetest.RedisURL(b))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchTickUnchanged(b, s, func() time.Duration { return redisCPU(b, s) })
	})
}

// redisCPU is the user and system CPU time the Redis server of s used so far.
func redisCPU(tb testing.TB, s *redisstore.Store) time.Duration {
	info, err := s.Client().Info(context.Background(), "cpu").Result()
	if err != nil {
		tb.Fatal(err)
	}
	var sum time.Duration
	for line := range strings.Lines(info) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		if k == "used_cpu_sys" || k == "used_cpu_user" {
			secs, err := strconv.ParseFloat(v, 64)
			if err != nil {
				tb.Fatalf("INFO cpu: %q: %v", line, err)
			}
			sum += time.Duration(secs * float64(time.Second))
		}
	}
	return sum
}

// benchTickUnchanged runs the benchmark on store; storeCPU, when not nil, is the CPU time the
// store's server used so far.
func benchTickUnchanged(b *testing.B, store vote.Store, storeCPU func() time.Duration) {
	const conns = 100
	ctx, cancel := context.WithCancel(context.Background())
	p := votetest.Poll(b)
	for i := range 100 {
		bl := vote.Ballot{Receipt: rand.Text(), Voter: rand.Text(), Choices: []string{[]string{"a", "b", "c"}[i%3]},
			At: time.Now().Add(-time.Hour)}
		if _, err := store.Cast(ctx, p, bl); err != nil {
			b.Fatal(err)
		}
	}
	h, err := hub.New(store, hub.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var wrote, served sync.WaitGroup
	wrote.Add(conns)
	for range conns {
		c := newDiscardConn(&wrote)
		served.Go(func() {
			if err := h.Serve(ctx, c, p, hub.Public, hub.MaxHz); err != nil {
				b.Errorf("Serve: %v", err)
			}
		})
	}
	wrote.Wait() // every connection has its first message
	h.Tick(ctx)

	b.ReportAllocs()
	cpu0 := processCPU(b)
	var storeCPU0 time.Duration
	if storeCPU != nil {
		storeCPU0 = storeCPU()
	}
	for b.Loop() {
		h.Tick(ctx)
	}
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	if storeCPU != nil {
		b.ReportMetric(float64((storeCPU()-storeCPU0).Nanoseconds())/float64(b.N), "redis-cpu-ns/op")
	}
	if n := h.Stats().Messages[hub.Public]; n != conns {
		b.Errorf("%d messages, want %d (the first ones): the ticks found a change", n, conns)
	}
	cancel()
	served.Wait()
}

// processCPU is the user and system CPU time the process used so far.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package translog_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
)

// BenchmarkSequence measures what the log costs per ballot on one instance: reading it from the
// (memory) store, its leaf, its hashes, the receipt index and a signed checkpoint per page, and
// the memory that stays (B/ballot, after a GC).
func BenchmarkSequence(b *testing.B) {
	store := memstore.New()
	p := votetest.Poll(b)
	ctx := context.Background()
	at := time.Now()
	for i := range b.N {
		r := fmt.Sprintf("receipt-%026d", i)
		if _, err := store.Cast(ctx, p, vote.Ballot{Receipt: r, Voter: r, Choices: []string{"a"}, At: at}); err != nil {
			b.Fatal(err)
		}
	}
	key, _ := translog.DeriveKey([]byte("bench"), "livevote")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	s, err := translog.New(store, key, []*vote.Poll{p})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Sync(ctx, p); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(b.N), "B/ballot")
	runtime.KeepAlive(s)
}

// BenchmarkProve measures one inclusion proof of a ballot in a log of a million entries.
func BenchmarkProve(b *testing.B) {
	const n = 1 << 20
	store := memstore.New()
	p := votetest.Poll(b)
	ctx := context.Background()
	for i := range n {
		r := fmt.Sprintf("receipt-%026d", i)
		store.Cast(ctx, p, vote.Ballot{Receipt: r, Voter: r, Choices: []string{"b"}, At: time.Now()})
	}
	key, _ := translog.DeriveKey([]byte("bench"), "livevote")
	s, _ := translog.New(store, key, []*vote.Poll{p})
	if _, err := s.Sync(ctx, p); err != nil {
		b.Fatal(err)
	}
	r, _ := store.Receipt(ctx, p, fmt.Sprintf("receipt-%026d", n/3))
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Prove(p, r); err != nil {
			b.Fatal(err)
		}
	}
}

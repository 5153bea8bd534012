package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livevote/livevote/internal/servertest"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/redisstore"
	"github.com/livevote/livevote/vote/votetest"
)

// BenchmarkCheckpointLag measures how long after its 201 a ballot is in a signed checkpoint (its
// proof answers 200 instead of 202), with 8 voters voting as fast as they can on one instance
// with Redis and the default LogEvery: every 10th ballot's proof is polled every 5 ms. It reports
// the lag's median, p99 and maximum, and the vote rate.
func BenchmarkCheckpointLag(b *testing.B) {
	store, err := redisstore.Open(context.Background(), votetest.RedisURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	polls := []*vote.Poll{votetest.Poll(b)}
	base := servertest.Start(b, server.Config{Polls: polls, Store: store, Secret: []byte("bench"), AdminToken: "tok"}).URL + "/api/v1"

	var mu sync.Mutex
	var lags []time.Duration
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg, probes sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range 8 {
		wg.Go(func() {
			for n := 0; left.Add(-1) >= 0; n++ {
				jar, _ := cookiejar.New(nil)
				c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
				res, err := c.Get(base + "/polls/" + polls[0].ID)
				if err != nil {
					b.Error(err)
					return
				}
				res.Body.Close()
				res, err = c.Post(base+"/polls/"+polls[0].ID+"/votes", "application/json", strings.NewReader(`{"choices":["a"]}`))
				if err != nil {
					b.Error(err)
					return
				}
				var body struct{ Receipt string }
				json.NewDecoder(res.Body).Decode(&body)
				res.Body.Close()
				acked := time.Now()
				if res.StatusCode != 201 {
					b.Errorf("vote = %d", res.StatusCode)
					return
				}
				if n%10 != 0 {
					continue
				}
				probes.Go(func() {
					for {
						res, err := http.Get(base + "/receipts/" + body.Receipt + "/proof")
						if err != nil {
							b.Error(err)
							return
						}
						res.Body.Close()
						if res.StatusCode == 200 {
							mu.Lock()
							lags = append(lags, time.Since(acked))
							mu.Unlock()
							return
						}
						time.Sleep(5 * time.Millisecond)
					}
				})
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	probes.Wait()
	b.StopTimer()
	if len(lags) == 0 {
		return
	}
	slices.Sort(lags)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lags[len(lags)/2]), "ms-lag-p50")
	b.ReportMetric(ms(lags[len(lags)*99/100]), "ms-lag-p99")
	b.ReportMetric(ms(lags[len(lags)-1]), "ms-lag-max")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "votes/s")
}

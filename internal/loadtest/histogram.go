package loadtest

import (
	"math"
	"math/bits"
	"time"
)

// histogram counts durations in log-linear buckets: every power of two of nanoseconds is split
// into histSub equal buckets, so a recorded value is off by at most 1/histSub (under 1.6%). It is
// not safe for concurrent use: each goroutine records into its own and they are merged at the end.
type histogram struct {
	counts [64 * histSub]uint64
	n      uint64
	max    time.Duration
}

const (
	histShift = 6
	histSub   = 1 << histShift
)

// bucket returns the bucket index of d (d < 0 counts as 0).
func bucket(d time.Duration) int {
	v := uint64(max(d, 0))
	if v < histSub {
		return int(v)
	}
	exp := bits.Len64(v) - 1 - histShift // v >> exp is in [histSub, 2*histSub)
	return (exp+1)*histSub + int(v>>exp) - histSub
}

// lowest returns the smallest duration of bucket i.
func lowest(i int) time.Duration {
	if i < histSub {
		return time.Duration(i)
	}
	exp := i/histSub - 1
	return time.Duration(uint64(i%histSub+histSub) << exp)
}

func (h *histogram) record(d time.Duration) {
	h.counts[bucket(d)]++
	h.n++
	h.max = max(h.max, d)
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the duration below which a fraction q of the values lie (the upper edge of
// the bucket that holds it, capped at the maximum); 0 when empty.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			if i+1 < len(h.counts) {
				return min(lowest(i+1)-1, h.max)
			}
			return h.max
		}
	}
	return h.max
}

// summary is a histogram's figures as the report shows them.
type summary struct {
	Count uint64        `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

func (h *histogram) summary() summary {
	return summary{Count: h.n, P50: h.quantile(0.5), P90: h.quantile(0.9), P99: h.quantile(0.99), Max: h.max}
}

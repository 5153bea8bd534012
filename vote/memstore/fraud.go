package memstore

import (
	"cmp"
	"context"
	"github.com/livevote/livevote/vote"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
)

// memFraud is what the memory store keeps of a poll for the fraud checks: the source counters
// (as the Redis store keeps them: one set of counts per kind and bucket, expiring after two
// buckets), the trusted subnets and the fraud counters. Its methods run under the store's lock.
type memFraud struct {
	buckets map[srcBucket]map[string]int64 // source hash -> ballots; "" in net buckets: the total
	// (kinds "ip" and "net" by the minute and the hour, "grp" by the hour)
	// choices are the choice test's counters per hour (start, Unix seconds): "<source>|<candidate>"
	// -> ballots that chose it; source "" is the poll, heldSource its ballots held for the
	// organiser (with "<heldSource>|" their number). A source's ballots are its hour's counts.
	choices map[int64]map[string]int64
	sweepAt time.Time
	trusted map[string]bool
	results map[string]int64
	signals map[string]int64
}

// heldSource names the poll's ballots held for the organiser in the choice counters (no hash
// is "!").
const heldSource = "!"

// addHeld counts a held ballot's choices into an hour's choice counters.
func addHeld(ch map[string]int64, choices []string) {
	ch[heldSource+"|"]++
	for _, c := range choices {
		ch[heldSource+"|"+c]++
	}
}

// srcBucket names one bucket of source counts: kind "ip", "net" or "grp", a minute or an hour
// from start.
type srcBucket struct {
	kind  string
	step  time.Duration
	start int64
}

func (f *memFraud) bucket(kind string, step time.Duration, at time.Time) (cur, prev srcBucket) {
	start := at.Truncate(step).Unix()
	return srcBucket{kind, step, start}, srcBucket{kind, step, start - int64(step/time.Second)}
}

// window is the sliding count of member in the window of kind and step at at, from the bucket at
// falls in and the one before it.
func (f *memFraud) window(kind string, step time.Duration, member string, at time.Time) int64 {
	cur, prev := f.bucket(kind, step, at)
	return int64(math.Floor(float64(f.buckets[cur][member]) + float64(f.buckets[prev][member])*vote.SlidingWeight(at, step)))
}

// capped reports whether b's source is at its hard cap.
func (f *memFraud) capped(b vote.Ballot) bool {
	src := b.Source
	return src.IP != "" && src.Caps.IPHard > 0 && f.window("ip", time.Hour, src.IP, b.At) >= src.Caps.IPHard
}

// count counts b for its source (when it has one), returns what it counted (Counts, Shared,
// HeldNew; Held is the caller's), and reports whether a count exceeds its soft cap or the source is shared (SourceCaps.Shared): its address,
// subnet or group had another ballot in the hour.
func (f *memFraud) count(b vote.Ballot) (got vote.Counted, over bool) {
	src := b.Source
	if src.IP == "" {
		return got, false
	}
	if f.buckets == nil {
		f.buckets, f.choices = map[srcBucket]map[string]int64{}, map[int64]map[string]int64{}
	}
	if b.At.After(f.sweepAt) {
		for k := range f.buckets {
			if k.start+2*int64(k.step/time.Second) <= b.At.Unix() {
				delete(f.buckets, k)
			}
		}
		for start := range f.choices {
			if start+2*3600 <= b.At.Unix() {
				delete(f.choices, start)
			}
		}
		f.sweepAt = b.At.Add(time.Minute)
	}
	hour := b.At.Truncate(time.Hour).Unix()
	ch := f.choices[hour]
	if ch == nil {
		ch = map[string]int64{}
		f.choices[hour] = ch
	}
	members := []string{src.IP, src.Subnet, ""}
	if src.Group != "" {
		members = append(members, src.Group)
		cur, _ := f.bucket("grp", time.Hour, b.At)
		if f.buckets[cur] == nil {
			f.buckets[cur] = map[string]int64{}
		}
		f.buckets[cur][src.Group]++
		got.Counts.GroupHour = f.window("grp", time.Hour, src.Group, b.At)
	}
	for _, m := range members {
		for _, c := range b.Choices {
			ch[m+"|"+c]++
		}
	}
	// a network new to the poll while the organiser holds them: held for the organiser
	// (its address and subnet are counted below: none yet is new)
	fresh := f.window("ip", time.Hour, src.IP, b.At) == 0 && f.window("net", time.Hour, src.Subnet, b.At) == 0 && got.Counts.GroupHour <= 1
	got.HeldNew = src.Caps.HoldNew && !b.Held && fresh
	if b.Held || got.HeldNew { // held by the caller's verdict, or for being new
		addHeld(ch, b.Choices)
	}
	counts := [4]*int64{&got.Counts.IPMinute, &got.Counts.IPHour, &got.Counts.SubnetMinute, &got.Counts.SubnetHour}
	caps := [4]int64{src.Caps.IPMinute, src.Caps.IPHour, src.Caps.SubnetMinute, src.Caps.SubnetHour}
	for i, w := range vote.SlidingWindows() {
		member := src.IP
		if w.Kind == "net" {
			member = src.Subnet
		}
		cur, _ := f.bucket(w.Kind, w.Step, b.At)
		if f.buckets[cur] == nil {
			f.buckets[cur] = map[string]int64{}
		}
		f.buckets[cur][member]++
		if w.Kind == "net" {
			f.buckets[cur][""]++
		}
		*counts[i] = f.window(w.Kind, w.Step, member, b.At)
		if caps[i] > 0 && *counts[i] > caps[i] {
			over = true
		}
	}
	got.Shared = src.Caps.Shared && (got.Counts.IPHour > 1 || got.Counts.SubnetHour > 1 || got.Counts.GroupHour > 1)
	// the arrivals of the minute: every ballot ("m<minute>"), and the first of their sources ("n")
	minute := strconv.FormatInt(b.At.Truncate(time.Minute).Unix(), 10)
	kinds := []string{"m"}
	if got.Counts.IPHour <= 1 && got.Counts.SubnetHour <= 1 && got.Counts.GroupHour <= 1 {
		kinds = append(kinds, "n")
	}
	for _, k := range kinds {
		ch[k+minute+"|"]++
		for _, c := range b.Choices {
			ch[k+minute+"|"+c]++
		}
	}
	return got, over || got.Shared
}

// Arrivals implements Store.
func (m *Store) Arrivals(ctx context.Context, p *vote.Poll, now time.Time, minutes int) ([]vote.Arrivals, error) {
	if err := ctx.Err(); err != nil {
		return nil, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f := &m.poll(p).fraud
	minutes = min(max(minutes, 0), 60)
	out := make([]vote.Arrivals, 0, minutes)
	last := now.Truncate(time.Minute)
	for i := minutes - 1; i >= 0; i-- {
		at := last.Add(-time.Duration(i) * time.Minute)
		ch := f.choices[at.Truncate(time.Hour).Unix()]
		minute := strconv.FormatInt(at.Unix(), 10)
		a := vote.Arrivals{Minute: at, All: vote.ChoiceCount{Tally: map[string]int64{}}, New: vote.ChoiceCount{Tally: map[string]int64{}}}
		for k, cc := range map[string]*vote.ChoiceCount{"m": &a.All, "n": &a.New} {
			cc.Ballots = ch[k+minute+"|"]
			for _, c := range p.Candidates {
				if n := ch[k+minute+"|"+c.ID]; n > 0 {
					cc.Tally[c.ID] = n
				}
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// choiceCount is the ChoiceCount of source m ("" the poll, heldSource its held ballots) of poll
// p in the sliding hour at now.
// Its ballots are its hour's counts, of whichever kind it is (as the Redis store reads them: the
// sum of the kinds' buckets, weighed once; "" is the net buckets' total).
func (f *memFraud) choiceCount(p *vote.Poll, m string, now time.Time) vote.ChoiceCount {
	start := now.Truncate(time.Hour).Unix()
	cur, prev, w := f.choices[start], f.choices[start-3600], vote.SlidingWeight(now, time.Hour)
	window := func(k string) int64 { return int64(math.Floor(float64(cur[k]) + float64(prev[k])*w)) }
	var inCur, inPrev int64
	if m == heldSource {
		inCur, inPrev = cur[m+"|"], prev[m+"|"]
	}
	for _, kind := range []string{"ip", "net", "grp"} {
		this, before := f.bucket(kind, time.Hour, now)
		inCur, inPrev = inCur+f.buckets[this][m], inPrev+f.buckets[before][m]
	}
	out := vote.ChoiceCount{Ballots: int64(math.Floor(float64(inCur) + float64(inPrev)*w)), Tally: map[string]int64{}}
	for _, c := range p.Candidates {
		if n := window(m + "|" + c.ID); n > 0 {
			out.Tally[c.ID] = n
		}
	}
	return out
}

// Choices implements Store.
func (m *Store) Choices(ctx context.Context, p *vote.Poll, now time.Time, sources []string) (vote.ChoiceCounts, error) {
	if err := ctx.Err(); err != nil {
		return vote.ChoiceCounts{}, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	mp := m.poll(p)
	f := &mp.fraud
	out := vote.ChoiceCounts{Poll: f.choiceCount(p, "", now), Sources: make(map[string]vote.ChoiceCount, len(sources)),
		Held: f.choiceCount(p, heldSource, now), Total: vote.ChoiceCount{Ballots: mp.ballots, Tally: map[string]int64{}}}
	for _, s := range sources {
		out.Sources[s] = f.choiceCount(p, s, now)
	}
	for c, n := range mp.tally {
		if n > 0 {
			out.Total.Tally[c] = n
		}
	}
	return out, nil
}

// report is the SourceWindow of kind "ip" and "net" with step at now, n of each.
func (f *memFraud) report(step time.Duration, now time.Time, n int) vote.SourceWindow {
	var w vote.SourceWindow
	top := func(kind string) []vote.SourceCount {
		cur, prev := f.bucket(kind, step, now)
		seen := map[string]bool{}
		var out []vote.SourceCount
		for _, b := range []srcBucket{cur, prev} {
			for m := range f.buckets[b] {
				if m == "" || seen[m] {
					continue
				}
				seen[m] = true
				if c := f.window(kind, step, m, now); c > 0 {
					out = append(out, vote.SourceCount{Hash: m, Ballots: c})
				}
			}
		}
		slices.SortFunc(out, func(a, b vote.SourceCount) int {
			return cmp.Or(cmp.Compare(b.Ballots, a.Ballots), cmp.Compare(a.Hash, b.Hash))
		})
		return append([]vote.SourceCount{}, out[:min(n, len(out))]...)
	}
	w.IPs, w.Subnets = top("ip"), top("net")
	w.Ballots = f.window("net", step, "", now)
	return w
}

func (f *memFraud) counts() vote.FraudCounts {
	c := vote.FraudCounts{Results: map[string]int64{}, Signals: map[string]int64{}}
	maps.Copy(c.Results, f.results)
	maps.Copy(c.Signals, f.signals)
	return c
}

// Sources implements Store.
func (m *Store) Sources(ctx context.Context, p *vote.Poll, now time.Time, n int) (vote.SourceReport, error) {
	if err := ctx.Err(); err != nil {
		return vote.SourceReport{}, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f := &m.poll(p).fraud
	return vote.SourceReport{Minute: f.report(time.Minute, now, n), Hour: f.report(time.Hour, now, n)}, nil
}

// Trusted implements Store.
func (m *Store) Trusted(ctx context.Context, p *vote.Poll) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string{}, slices.Sorted(maps.Keys(m.poll(p).fraud.trusted))...), nil
}

// SetTrusted implements Store.
func (m *Store) SetTrusted(ctx context.Context, p *vote.Poll, subnet string, trusted bool) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f := &m.poll(p).fraud
	if trusted {
		if f.trusted == nil {
			f.trusted = map[string]bool{}
		}
		f.trusted[subnet] = true
	} else {
		delete(f.trusted, subnet)
	}
	return append([]string{}, slices.Sorted(maps.Keys(f.trusted))...), nil
}

// AddFraudCounts implements Store.
func (m *Store) AddFraudCounts(ctx context.Context, p *vote.Poll, c vote.FraudCounts) error {
	if err := ctx.Err(); err != nil {
		return vote.Unavailable(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f := &m.poll(p).fraud
	add := func(dst *map[string]int64, src map[string]int64) {
		for k, v := range src {
			if *dst == nil {
				*dst = map[string]int64{}
			}
			(*dst)[k] += v
		}
	}
	add(&f.results, c.Results)
	add(&f.signals, c.Signals)
	if len(c.Results)+len(c.Signals) > 0 {
		m.poll(p).version++
	}
	return nil
}

// keep counts the ballot r, kept at at, into the held choices of its hour, when that is the hour
// of at or the one before (the hours the sliding window reads).
func (f *memFraud) keep(r vote.Receipt, at time.Time) {
	hour, now := r.RecordedAt.Truncate(time.Hour).Unix(), at.Truncate(time.Hour).Unix()
	if ch := f.choices[hour]; ch != nil && (hour == now || hour == now-3600) {
		addHeld(ch, r.Choices)
	}
}

package server_test

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"github.com/livevote/livevote/vote/memstore"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
)

// castHeld records a held ballot straight in the store (as a fraud verdict would).
func castHeld(t *testing.T, e *env, choice string) string {
	t.Helper()
	time.Sleep(2 * time.Millisecond) // held ballots are listed in the order of their times (ms)
	b := vote.Ballot{Receipt: strings.ToLower(rand.Text()), Voter: rand.Text(), Choices: []string{choice}, At: time.Now(), Held: true}
	if _, err := e.Store.Cast(context.Background(), e.Poll, b); err != nil {
		t.Fatal(err)
	}
	return b.Receipt
}

func (e *env) adminGet(path string) response {
	e.t.Helper()
	return e.anonymous().get("/api/v1/admin/polls/"+e.Poll.ID+path, "Authorization", "Bearer "+adminToken)
}

func TestHeldReview(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		e.voter().mustVote("a")
		h1, h2 := castHeld(t, e, "b"), castHeld(t, e, "c")

		// The voter of a held ballot is told nothing different.
		if rec := e.anonymous().mustGet("/api/v1/receipts/"+h1, 200).JSON(t); rec["counted"] != true {
			t.Errorf("public receipt of a held ballot = %v", rec)
		}
		list := e.adminGet("/held").JSON(t)
		held := list["held"].([]any)
		if list["count"] != 2.0 || len(held) != 2 || held[0].(map[string]any)["receipt"] != h1 {
			t.Fatalf("held = %v", list)
		}
		if res := e.results("Authorization", "Bearer "+adminToken); res["ballots"] != 3.0 || res["counted"] != 1.0 || res["held"] != 2.0 {
			t.Errorf("results with two held = %v", res)
		}
		review := func(id, action string) response {
			return e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/held/"+id, map[string]any{"action": action}, "Authorization", "Bearer "+adminToken)
		}
		if r := review(h1, "release"); r.Status != 200 || r.JSON(t)["state"] != "released" {
			t.Fatalf("release = %d %s", r.Status, r.Body)
		}
		if r := review(h2, "void"); r.Status != 200 || r.JSON(t)["state"] != "void" {
			t.Fatalf("void = %d %s", r.Status, r.Body)
		}
		if r := review(h2, "release"); r.Status != 409 || r.Code(t) != "not_held" {
			t.Errorf("second review = %d %s", r.Status, r.Body)
		}
		if r := review("nope", "void"); r.Status != 404 || r.Code(t) != "receipt_not_found" {
			t.Errorf("review of an unknown receipt = %d %s", r.Status, r.Body)
		}
		if r := review(h1, "approve"); r.Status != 400 || r.Code(t) != "invalid_request" {
			t.Errorf("unknown action = %d %s", r.Status, r.Body)
		}
		if r := e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/held/"+h1, map[string]any{"action": "void"}); r.Code(t) != "unauthorized" {
			t.Errorf("review without the token = %s", r.Body)
		}
		res := e.results("Authorization", "Bearer "+adminToken)
		// ballots: every ballot received, the voided one too (a review never moves the public count)
		if res["ballots"] != 3.0 || res["counted"] != 2.0 || res["held"] != 0.0 || res["void"] != 1.0 || fmt.Sprint(res["tally"]) != "map[a:1 b:1 c:0]" {
			t.Errorf("results after review = %v", res)
		}
		// A review is sealed until the poll's log opens (issue 21): the receipt says not counted
		// only after the reveal (TestSealedOpensAtTheReveal).
		if rec := e.anonymous().mustGet("/api/v1/receipts/"+h2, 200).JSON(t); rec["counted"] != true {
			t.Errorf("public receipt of a void ballot before the reveal = %v", rec)
		}
	})
}

// Bulk review settles every listed ballot, each as a single review would, and reports those not
// awaiting review or unknown instead of failing.
func TestHeldBulkReview(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		var held []string
		for _, c := range []string{"a", "b", "b", "c"} {
			held = append(held, castHeld(t, e, c))
		}
		bulk := func(body map[string]any, auth ...string) response {
			return e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/held", body, auth...)
		}
		admin := []string{"Authorization", "Bearer " + adminToken}
		// the first three, the first twice, and one that does not exist
		r := bulk(map[string]any{"action": "release", "receipts": []string{held[0], held[1], held[2], held[0], "nope"}}, admin...)
		if r.Status != 200 {
			t.Fatalf("bulk release = %d %s", r.Status, r.Body)
		}
		got := r.JSON(t)
		reviewed := got["reviewed"].([]any)
		if len(reviewed) != 3 || reviewed[2].(map[string]any)["receipt"] != held[2] || reviewed[0].(map[string]any)["state"] != "released" ||
			fmt.Sprint(got["not_held"]) != "["+held[0]+"]" || fmt.Sprint(got["not_found"]) != "[nope]" {
			t.Errorf("bulk release answered %s", r.Body)
		}
		res := e.results(admin...)
		if res["counted"] != 3.0 || res["ballots"] != 4.0 || res["held"] != 1.0 || fmt.Sprint(res["tally"]) != "map[a:1 b:2 c:0]" {
			t.Errorf("results after the bulk release = %v", res)
		}
		if r := bulk(map[string]any{"action": "void", "receipts": []string{held[3]}}, admin...); r.Status != 200 ||
			r.JSON(t)["reviewed"].([]any)[0].(map[string]any)["state"] != "void" {
			t.Errorf("bulk void = %d %s", r.Status, r.Body)
		}
		if list := e.adminGet("/held").JSON(t); list["count"] != 0.0 {
			t.Errorf("held after the bulk review = %v", list)
		}

		too := make([]string, 1001)
		for i := range too {
			too[i] = held[0]
		}
		for name, body := range map[string]map[string]any{
			"no receipts":      {"action": "release", "receipts": []string{}},
			"1,001 receipts":   {"action": "release", "receipts": too},
			"unknown action":   {"action": "approve", "receipts": []string{held[0]}},
			"no action":        {"receipts": []string{held[0]}},
			"an unknown field": {"action": "void", "receipts": []string{held[0]}, "all": true},
		} {
			if r := bulk(body, admin...); r.Status != 400 || r.Code(t) != "invalid_request" {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		if r := bulk(map[string]any{"action": "void", "receipts": []string{held[0]}}); r.Status != 401 || r.Code(t) != "unauthorized" {
			t.Errorf("bulk review without the token = %d %s", r.Status, r.Body)
		}
		if r := e.anonymous().postJSON("/api/v1/admin/polls/nope/held", map[string]any{"action": "void", "receipts": []string{held[0]}}, admin...); r.Status != 404 {
			t.Errorf("bulk review of an unknown poll = %d %s", r.Status, r.Body)
		}
	})
}

func TestExportAndAudit(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		var receipts []string
		for _, c := range []string{"a", "b", "b"} {
			receipts = append(receipts, e.voter().mustVote(c))
		}
		h := castHeld(t, e, "c")
		e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/held/"+h, map[string]any{"action": "release"}, "Authorization", "Bearer "+adminToken)
		castHeld(t, e, "a")

		r := e.adminGet("/export?format=json")
		if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export = %d %v", r.Status, r.Header)
		}
		var ex struct {
			Poll    string
			Ballots int64
			Held    int64
			Tally   map[string]int64
			Log     []vote.LogEntry
		}
		if err := json.Unmarshal(r.Body, &ex); err != nil {
			t.Fatalf("export is not JSON: %v\n%s", err, r.Body)
		}
		if ex.Poll != e.Poll.ID || ex.Ballots != 4 || ex.Held != 1 || fmt.Sprint(ex.Tally) != "map[a:1 b:2 c:1]" || len(ex.Log) != 6 {
			t.Errorf("export = %+v", ex)
		}
		for i, id := range receipts {
			if ex.Log[i].Receipt != id || ex.Log[i].Voter == "" || len(ex.Log[i].Voter) > 40 {
				t.Errorf("log entry %d = %+v", i, ex.Log[i])
			}
		}
		if strings.Contains(string(r.Body), "127.0.0.1") {
			t.Error("the export holds an IP address")
		}

		r = e.adminGet("/export?format=csv")
		rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
		if err != nil || r.Status != 200 {
			t.Fatalf("CSV export = %d %v", r.Status, err)
		}
		kinds := map[string]int{}
		for _, row := range rows[1:] {
			kinds[row[0]]++
		}
		if fmt.Sprint(kinds) != "map[ballot:5 review:1 tally:3]" || strings.Join(rows[0], ",") != "record,id,receipt,at,voter,period,choices,state,candidate,count" {
			t.Errorf("CSV records = %v, header %v", kinds, rows[0])
		}
		if r := e.adminGet("/export?format=xml"); r.Code(t) != "invalid_request" {
			t.Errorf("unknown format = %s", r.Body)
		}

		audit := e.adminGet("/audit").JSON(t)
		if audit["consistent"] != true || audit["settled"] != true || len(audit["differences"].([]any)) != 0 {
			t.Errorf("audit = %v", audit)
		}
		if log := audit["log"].(map[string]any); log["entries"] != 6.0 || log["ballots"] != 4.0 || log["held"] != 1.0 {
			t.Errorf("audit log = %v", log)
		}
	})
}

// TestAuditFindsTampering: a counter changed behind the log's back makes the audit inconsistent.
func TestAuditFindsTampering(t *testing.T) {
	mem := memstore.New()
	e := newEnv(t, tampered{mem}, nil)
	e.voter().mustVote("a")
	audit := e.adminGet("/audit").JSON(t)
	if audit["consistent"] != false || fmt.Sprint(audit["differences"]) != "[tally[a]: log 1, counters 2]" {
		t.Errorf("audit of tampered counters = %v", audit)
	}
}

// tampered reports one more vote for a than was cast.
type tampered struct{ vote.Store }

func (s tampered) Snapshot(ctx context.Context, p *vote.Poll, now time.Time) (vote.Snapshot, error) {
	snap, err := s.Store.Snapshot(ctx, p, now)
	snap.Tally["a"]++
	return snap, err
}

// TestHeldGroups: held ballots grouped by source and the signal that held them, each group with
// its count, addresses, time span and choices beside the poll's hour; one action settles a whole
// group, up to the last ballot the organiser saw.
func TestHeldGroups(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		ctx, at := context.Background(), e.Clock.Now().Truncate(time.Millisecond)
		cast := func(ip, subnet string, held bool, signals []vote.Signal, at time.Time, choice string) string {
			t.Helper()
			b := vote.Ballot{Receipt: strings.ToLower(rand.Text()), Voter: rand.Text(), Choices: []string{choice}, At: at,
				Held: held, Signals: signals, Source: vote.Source{IP: ip, Subnet: subnet, Caps: vote.SourceCaps{Shared: true}}}
			if _, err := e.Store.Cast(ctx, e.Poll, b); err != nil {
				t.Fatal(err)
			}
			return b.Receipt
		}
		tool := []vote.Signal{vote.SignalToolAgent}
		for i := range 4 { // a script on two addresses of one subnet
			cast(fmt.Sprintf("s%d", i%2), "script-net", true, tool, at.Add(time.Duration(i)*time.Second), "a")
		}
		cast("h1", "home-net", false, nil, at, "b") // counted: the first of its subnet
		var farm []string
		for i := range 3 { // a farm's pending ballots, then found skewed
			farm = append(farm, cast("f1", "farm-net", false, nil, at.Add(time.Duration(10+i)*time.Second), "c"))
		}
		farm = farm[1:] // the first of its subnet was counted
		if err := e.Store.Keep(ctx, e.Poll, farm, vote.SignalSkewed, at); err != nil {
			t.Fatal(err)
		}

		got := e.adminGet("/held/groups").JSON(t)
		groups := got["groups"].([]any)
		if len(groups) != 2 {
			t.Fatalf("groups = %v", got)
		}
		script, skewed := groups[0].(map[string]any), groups[1].(map[string]any)
		if script["source"] != "script-net" || script["signal"] != "tool_agent" || script["count"] != 4.0 || script["ips"] != 2.0 ||
			fmt.Sprint(script["choices"]) != "map[a:4]" || script["pending"] != 0.0 || fmt.Sprint(script["signals"]) != "[tool_agent shared_source]" {
			t.Errorf("script's group = %v", script)
		}
		if skewed["source"] != "farm-net" || skewed["signal"] != "skewed" || skewed["count"] != 2.0 || skewed["judgement"] != "undecided" {
			t.Errorf("farm's group = %v", skewed)
		}
		if hour := got["hour"].(map[string]any); hour["ballots"] != 8.0 || fmt.Sprint(hour["choices"]) != "map[a:4 b:1 c:3]" {
			t.Errorf("the poll's hour = %v", hour)
		}
		if first, _ := time.Parse(time.RFC3339Nano, script["first"].(string)); !first.Equal(at) {
			t.Errorf("script's group starts %v, want %v", script["first"], at)
		}

		group := func(body map[string]any) response {
			return e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/held/groups", body, "Authorization", "Bearer "+adminToken)
		}
		if r := group(map[string]any{"source": "farm-net", "signal": "skewed", "action": "release"}); r.Status != 400 {
			t.Errorf("group action without until = %d %s", r.Status, r.Body)
		}
		// A ballot of the script's group arrives after the organiser looked: it is not settled.
		late := cast("s0", "script-net", true, tool, at.Add(time.Minute), "a")
		r := group(map[string]any{"source": "script-net", "signal": "tool_agent", "action": "void", "until": script["last"]})
		if r.Status != 200 || r.JSON(t)["reviewed"] != 4.0 {
			t.Fatalf("void the script's group = %d %s", r.Status, r.Body)
		}
		r = group(map[string]any{"source": "farm-net", "signal": "skewed", "action": "release", "until": skewed["last"]})
		if r.Status != 200 || r.JSON(t)["reviewed"] != 2.0 {
			t.Fatalf("release the farm's group = %d %s", r.Status, r.Body)
		}
		res := e.results("Authorization", "Bearer "+adminToken)
		if res["counted"] != 4.0 || res["held"] != 1.0 || fmt.Sprint(res["tally"]) != "map[a:0 b:1 c:3]" {
			t.Errorf("results after the group actions = %v", res)
		}
		if held := e.adminGet("/held").JSON(t)["held"].([]any); len(held) != 1 || held[0].(map[string]any)["receipt"] != late {
			t.Errorf("held after the group actions = %v", held)
		}
		if audit := e.adminGet("/audit").JSON(t); audit["consistent"] != true {
			t.Errorf("audit = %v", audit)
		}

		// A farm spread over three subnets of one group is one group, by its group's hash; a group
		// held in one subnet only stays with its subnet.
		var spread []string
		for i := range 6 {
			b := vote.Ballot{Receipt: strings.ToLower(rand.Text()), Voter: rand.Text(), Choices: []string{"c"}, At: at.Add(time.Duration(i) * time.Second),
				Source: vote.Source{IP: fmt.Sprint("sp", i), Subnet: fmt.Sprint("spread-net", i%3), Group: "spread-grp", Caps: vote.SourceCaps{Shared: true}}}
			got, err := e.Store.Cast(ctx, e.Poll, b)
			if err != nil {
				t.Fatal(err)
			}
			if got.Held {
				spread = append(spread, b.Receipt)
			}
		}
		cast("o1", "one-net", true, tool, at, "a")
		if err := e.Store.Keep(ctx, e.Poll, spread, vote.SignalSkewed, at); err != nil {
			t.Fatal(err)
		}
		var found map[string]any
		for _, g := range e.adminGet("/held/groups").JSON(t)["groups"].([]any) {
			g := g.(map[string]any)
			switch g["source"] {
			case "spread-grp":
				found = g
			case "one-net", "script-net":
				if g["by"] != "subnet" || g["subnets"] != 1.0 {
					t.Errorf("a subnet's group = %v", g)
				}
			default:
				t.Errorf("group %v", g)
			}
		}
		if found == nil || found["by"] != "group" || found["count"] != 5.0 || found["subnets"] != 3.0 || found["ips"] != 5.0 || found["signal"] != "skewed" {
			t.Fatalf("the spread farm's group = %v; want by group, 5 ballots (the first was counted) of 3 subnets", found)
		}
		r = group(map[string]any{"source": "spread-grp", "signal": "skewed", "action": "void", "until": found["last"]})
		if r.Status != 200 || r.JSON(t)["reviewed"] != 5.0 {
			t.Errorf("void the spread farm's group = %d %s", r.Status, r.Body)
		}
	})
}

package server_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
)

// TestStagedReveal steps a reveal from hidden through every place and checks that the results
// API and the public socket never show a place before the stage has shown it, that each step and
// the final statement are in the log, and the errors of the reveal endpoint.
func TestStagedReveal(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		for _, c := range []string{"a", "a", "b"} {
			e.voter().mustVote(c)
		}
		pub := e.mustDial("", nil)
		if r := e.admin("reveal", map[string]any{"withheld": 0}); r.Status != 409 || r.Code(t) != "not_revealed" {
			t.Errorf("reveal step while hidden = %d %s", r.Status, r.Body)
		}
		e.mustAdmin("results", map[string]any{"results": "revealed"})
		// Places, last first: c (0), b (1), a (2).
		for _, bad := range []any{-1, 4, nil, "1"} {
			if r := e.admin("reveal", map[string]any{"withheld": bad}); r.Status != 400 || r.Code(t) != "invalid_request" {
				t.Errorf("reveal withheld %v = %d %s", bad, r.Status, r.Body)
			}
		}
		steps := []struct {
			withheld int
			shown    []string
		}{{3, nil}, {2, []string{"c"}}, {1, []string{"b", "c"}}, {2, []string{"c"}}, {1, []string{"b", "c"}}, {0, []string{"a", "b", "c"}}}
		var before []string
		for _, s := range steps {
			if s.withheld != 3 {
				e.Clock.Set(time.Now()) // the hub reads on the real clock: the step too
				r := e.admin("reveal", map[string]any{"withheld": s.withheld})
				if r.Status != 200 || !sameKeys(r.JSON(t)["tally"], s.shown) {
					t.Fatalf("reveal withheld %d = %d %s, want %v shown", s.withheld, r.Status, r.Body, s.shown)
				}
				// The presenter's screen has the new place; the public gets it vote.StepGrace
				// later (a step back at once).
				if res := e.results(); len(s.shown) > len(before) && !sameKeys(res["tally"], before) {
					t.Errorf("public results right after the step to withheld %d = %v, want %v still", s.withheld, res, before)
				}
				e.Clock.Set(time.Now().Add(vote.StepGrace))
			}
			before = s.shown
			res := e.results()
			if res["withheld"] != float64(s.withheld) || !sameKeys(res["tally"], s.shown) {
				t.Errorf("public results at withheld %d = %v, want %v", s.withheld, res, s.shown)
			}
			m := pub.waitFor(t, 2*time.Second, func(m liveMsg) bool { return m.Withheld != nil && *m.Withheld == s.withheld }).Msg
			if got := slices.Sorted(maps.Keys(m.Tally)); !slices.Equal(got, s.shown) && len(got)+len(s.shown) > 0 {
				t.Errorf("public message at withheld %d shows %v, want %v", s.withheld, got, s.shown)
			}
		}
		// No public message ever showed a place before the stage had.
		for _, f := range pub.frames() {
			if w := f.Msg.Withheld; w != nil && *w > 0 && f.Msg.Tally["a"] != 0 {
				t.Errorf("public message shows the first place while %d places are withheld: %s", *w, f.Raw)
			}
		}
		var actions []string
		for _, l := range e.logEntries() {
			if l.State == vote.LogAdmin {
				actions = append(actions, l.Action+"="+l.Value)
			}
		}
		want := []string{"results=revealed", "reveal=2", "reveal=1", "reveal=2", "reveal=1", "reveal=0", `statement={"counted":3,"held":0,"tally":{"a":2,"b":1,"c":0}}`}
		if !slices.Equal(actions, want) {
			t.Errorf("log actions = %q, want %q", actions, want)
		}
	})
}

// TestRevealConfirm shows that revealing with held ballots needs a deliberate confirmation, and
// that a refused reveal changes nothing and logs nothing.
func TestRevealConfirm(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		e.voter().mustVote("a")
		castHeld(t, e, "b")
		list := e.adminGet("/checklist").JSON(t)
		if list["received"] != 2.0 || list["counted"] != 1.0 || list["held"] != 1.0 || list["confirm_needed"] != true || list["tied_first"] != 0.0 {
			t.Errorf("checklist = %v", list)
		}
		before := len(e.logEntries())
		if r := e.admin("results", map[string]any{"results": "revealed"}); r.Status != 409 || r.Code(t) != "unreviewed_ballots" {
			t.Fatalf("reveal with a held ballot = %d %s", r.Status, r.Body)
		}
		if res := e.results(); res["results"] != "hidden" || len(e.logEntries()) != before {
			t.Errorf("a refused reveal changed something: %v", res)
		}
		e.mustAdmin("results", map[string]any{"results": "revealed", "confirm": true})
		if res := e.results(); res["results"] != "revealed" || res["withheld"] != 2.0 {
			t.Errorf("results after a confirmed reveal = %v", res)
		}
	})
}

// sameKeys reports whether the JSON object v has exactly the keys want (nil or {} for none).
func sameKeys(v any, want []string) bool {
	m, _ := v.(map[string]any)
	return slices.Equal(slices.Sorted(maps.Keys(m)), want) || len(m) == 0 && len(want) == 0
}

// logEntries reads the poll's whole log as the organiser.
func (e *env) logEntries() []vote.LogEntry {
	e.t.Helper()
	r := e.adminGet("/export")
	var body struct {
		Log []vote.LogEntry `json:"log"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		e.t.Fatalf("export %d: %v", r.Status, err)
	}
	return body.Log
}

// TestCorrectionAfterReveal shows that a release after the result became a statement is a
// correction with its time, for the public (results, socket) and in the log; a release before
// is not.
func TestCorrectionAfterReveal(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		e := newEnv(t, newStore(t), nil)
		e.voter().mustVote("a")
		early, late := castHeld(t, e, "b"), castHeld(t, e, "b")
		review := func(id string) {
			t.Helper()
			r := e.anonymous().postJSON("/api/v1/admin/polls/"+e.Poll.ID+"/held/"+id, map[string]any{"action": "release"}, "Authorization", "Bearer "+adminToken)
			if r.Status != 200 {
				t.Fatalf("release = %d %s", r.Status, r.Body)
			}
		}
		e.mustAdmin("results", map[string]any{"results": "revealed", "confirm": true})
		review(early) // during the staged reveal: not a correction
		if res := e.results(); res["corrected_at"] != nil {
			t.Errorf("a release before the last step is a correction: %v", res)
		}
		e.mustAdmin("reveal", map[string]any{"withheld": 0})
		pub := e.mustDial("", nil)
		at := e.Clock.Now().Add(time.Hour).Truncate(time.Second)
		e.Clock.Set(at)
		review(late)
		res := e.results()
		want := at.UTC().Format("2006-01-02T15:04:05.000Z")
		if res["corrected_at"] != want || res["tally"].(map[string]any)["b"] != 2.0 {
			t.Errorf("results after a late release = %v, want corrected_at %s", res, want)
		}
		pub.waitFor(t, 2*time.Second, func(m liveMsg) bool { return m.CorrectedAt == want && m.Tally["b"] == 2 })
		var actions []string
		for _, l := range e.logEntries() {
			if l.State == vote.LogAdmin && (l.Action == "statement" || l.Action == "correction") {
				actions = append(actions, l.Action+"="+l.Value)
			}
		}
		wantLog := []string{`statement={"counted":2,"held":1,"tally":{"a":1,"b":1,"c":0}}`, `correction={"counted":3,"held":0,"tally":{"a":1,"b":2,"c":0}}`}
		if !slices.Equal(actions, wantLog) {
			t.Errorf("log = %q, want %q", actions, wantLog)
		}
		// A new reveal starts without a correction.
		e.mustAdmin("results", map[string]any{"results": "hidden"})
		e.mustAdmin("results", map[string]any{"results": "revealed"})
		if res := e.results(); res["corrected_at"] != nil {
			t.Errorf("a new reveal carries the old correction: %v", res)
		}
	})
}

// TestRevealTop: a ballot file that stages only the first place shows the others when the reveal
// starts, and gives its tie-break in the checklist.
func TestRevealTop(t *testing.T) {
	e := newEnv(t, memstore.New(), []string{`reveal: {top: 1, tie_break: {en: "The jury decides.", zh: "评审团决定。"}}`})
	for _, c := range []string{"a", "a", "b"} {
		e.voter().mustVote(c)
	}
	if tb := e.adminGet("/checklist").JSON(t)["tie_break"]; tb == nil || tb.(map[string]any)["en"] != "The jury decides." {
		t.Errorf("checklist tie_break = %v", tb)
	}
	e.mustAdmin("results", map[string]any{"results": "revealed"})
	if res := e.results(); res["withheld"] != 1.0 || !sameKeys(res["tally"], []string{"b", "c"}) {
		t.Errorf("results at the start of a top-1 reveal = %v", res)
	}
	e.mustAdmin("reveal", map[string]any{"withheld": 0})
	e.Clock.Set(e.Clock.Now().Add(vote.StepGrace))
	if res := e.results(); !sameKeys(res["tally"], []string{"a", "b", "c"}) {
		t.Errorf("results after the last step = %v", res)
	}
}

// TestChecklistAudit shows the checklist's "audit since the close": absent before the close (an
// audit while voting is open does not count) and after it until an audit runs; then audited_at
// (of the last) and audit_consistent, for every instance (the store keeps them), the first audit
// logged as a sealed action of the role that ran it (one run again with the same finding is not
// logged again); a change of status clears it.
func TestChecklistAudit(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		store := newStore(t)
		e := newEnv(t, store, nil, withRoles())
		other := newEnv(t, store, nil, withPoll(e.Poll)) // a second instance of the same poll
		e.voter().mustVote("a")
		audit := func(token string) {
			t.Helper()
			a := e.anonymous().mustGet("/api/v1/admin/polls/"+e.Poll.ID+"/audit", 200, "Authorization", "Bearer "+token).JSON(t)
			if a["consistent"] != true {
				t.Fatalf("audit = %v", a)
			}
		}
		noAudit := func(when string) {
			t.Helper()
			if list := other.adminGet("/checklist").JSON(t); list["audited_at"] != nil || list["audit_consistent"] != nil {
				t.Errorf("checklist %s = %v, want no audit", when, list)
			}
		}
		audit(adminToken)
		noAudit("after an audit while voting is open")
		e.mustAdmin("status", map[string]any{"status": "closed"})
		noAudit("after the close")

		e.Clock.Set(e.Clock.Now().Add(time.Minute))
		audit(auditorToken)
		e.Clock.Set(e.Clock.Now().Add(time.Minute))
		audit(adminToken) // the checklist gives the last; the log has the first (the same finding)
		list := other.adminGet("/checklist").JSON(t)
		if want := e.Clock.Now().UTC().Format(time.RFC3339); list["audited_at"] != want || list["audit_consistent"] != true {
			t.Errorf("checklist after an audit since the close = %v, want audited_at %s and consistent", list, want)
		}
		var audits []string
		for _, l := range e.logEntries() {
			if l.State == vote.LogAdmin && l.Action == "audit" {
				audits = append(audits, l.Value+" by "+l.Role)
				if _, public := translog.PublicLeafOf(l); public {
					t.Errorf("the audit's log entry is public: %+v", l)
				}
			}
		}
		if !slices.Equal(audits, []string{"consistent by auditor"}) {
			t.Errorf("audits in the log = %q, want the one since the close", audits)
		}

		e.mustAdmin("status", map[string]any{"status": "open"})
		e.mustAdmin("status", map[string]any{"status": "closed"})
		noAudit("after reopening and closing again")
	})
}

// TestCorrectionBySettle: a ballot still pending when the result became a statement, released
// afterwards by the choice test's last pass at the close (issue 22's small vote: the hall's
// phones behind one address), changes the result on stage: a correction, as a review's is, with
// its time in the results and a "correction" entry in the log whose role is "system".
func TestCorrectionBySettle(t *testing.T) {
	forEachStore(t, func(t *testing.T, newStore func(t *testing.T) vote.Store) {
		const venue = "203.0.113.77"
		e := newEnv(t, newStore(t), []string{"fraud: {}"}, withProxy())
		e.smallVote(venue)
		list := e.adminGet("/checklist").JSON(t)
		if list["pending"] == 0.0 {
			t.Fatalf("checklist before the reveal = %v; want the hall's ballots pending", list)
		}
		e.mustAdmin("results", map[string]any{"results": "revealed", "confirm": true})
		e.Clock.Set(time.Now()) // the hub reads on the real clock: the step too
		e.mustAdmin("reveal", map[string]any{"withheld": 0})
		e.Clock.Set(time.Now().Add(vote.StepGrace))
		if res := e.results(); res["withheld"] != 0.0 || res["corrected_at"] != nil {
			t.Fatalf("after the last step: %v; want everything shown, uncorrected", res)
		}
		e.mustAdmin("status", map[string]any{"status": "closed"}) // the last pass releases the hall's ballots
		deadline := time.Now().Add(15 * time.Second)
		res := e.results("Authorization", "Bearer "+adminToken)
		for res["corrected_at"] == nil && time.Now().Before(deadline) {
			time.Sleep(200 * time.Millisecond)
			res = e.results("Authorization", "Bearer "+adminToken)
		}
		if res["corrected_at"] == nil || res["counted"] != 60.0 {
			t.Fatalf("15 s after the close: %v; want all 60 counted and the result corrected", res)
		}
		var corrections []vote.LogEntry
		for _, l := range e.logEntries() {
			if l.State == vote.LogAdmin && l.Action == "correction" {
				corrections = append(corrections, l)
			}
		}
		if len(corrections) == 0 || corrections[len(corrections)-1].Role != vote.ReleasedBy || !strings.Contains(corrections[len(corrections)-1].Value, `"counted":60`) {
			t.Errorf("log corrections = %+v; want the last by %q with 60 counted", corrections, vote.ReleasedBy)
		}
	})
}

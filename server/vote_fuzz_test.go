package server

import (
	"bytes"
	"context"
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/translog"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/ballotfile"
	"github.com/livevote/livevote/vote/memstore"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/fraud"
	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/vote/votetest"
)

// FuzzVoteBody posts arbitrary bodies as votes. A body is either recorded (201, exactly one more
// ballot) or refused with a documented client error that changes nothing; never a 5xx. Seeds:
// testdata/fuzz/FuzzVoteBody and the ones added here.
func FuzzVoteBody(f *testing.F) {
	for _, s := range []string{
		`{"choices":["a"]}`, `{"choices":["a","b"]}`, `{"choices":[]}`, `{"choices":["a","a"]}`,
		`{"choices":null}`, `{}`, `{"choices":["z"]}`, `{"choices":"a"}`, `{"choices":[1]}`,
		`{"choices":["a"],"pow":{"algorithm":"SHA-256","number":-1}}`, `{"choices":["a"],"extra":1}`,
		`[]`, `null`, ``, `{"choices":["a"]} {}`, `{"choices":["\u0000"]}`,
	} {
		f.Add([]byte(s))
	}
	polls, err := ballotfile.Parse([]byte(votetest.PollYAML("max_choices: 2")), "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	p := polls[0]
	store := memstore.New()
	srv, err := New(Config{Polls: polls, Store: store, Secret: []byte("s"), AdminToken: "t", Hub: testHub(f, store), Log: testLog(f, store, polls),
		Fraud: fraud.New(fraud.Config{Polls: polls, Store: store, Results: VoteResults(), Hashes: access.NewKeys([]byte("s"))})})
	if err != nil {
		f.Fatal(err)
	}
	app := srv.app
	k := access.NewKeys([]byte("s"))
	allowed := map[int]bool{201: true, 400: true, 413: true, 422: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, cookie := k.NewVoter()
		before, _ := store.Snapshot(context.Background(), p, time.Now())
		req := httptest.NewRequest("POST", "/api/v1/polls/"+p.ID+"/votes", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", access.VoterCookie+"="+cookie)
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(res.Body)
		after, _ := store.Snapshot(context.Background(), p, time.Now())
		if !allowed[res.StatusCode] {
			t.Fatalf("body %q: %d %s", body, res.StatusCode, answer)
		}
		recorded := after.Ballots - before.Ballots
		if res.StatusCode == 201 && recorded != 1 || res.StatusCode != 201 && recorded != 0 {
			t.Fatalf("body %q: %d and %d ballots recorded", body, res.StatusCode, recorded)
		}
		if res.StatusCode != 201 && !strings.Contains(string(answer), `"code":"`) {
			t.Fatalf("body %q: refusal without an error code: %s", body, answer)
		}
	})
}

// testLog is a ballot log's sequencer over store for the polls, as the program builds it (not
// run: the tests that use it read no checkpoint).
func testLog(tb testing.TB, store translog.Source, polls []*vote.Poll) *translog.Sequencer {
	tb.Helper()
	key, err := translog.DeriveKey([]byte("s"), "livevote")
	if err != nil {
		tb.Fatal(err)
	}
	seq, err := translog.New(store, key, polls)
	if err != nil {
		tb.Fatal(err)
	}
	return seq
}

// testHub is a hub over src with the default options, not running.
func testHub(tb testing.TB, src hub.Source) *hub.Hub {
	tb.Helper()
	h, err := hub.New(src, hub.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

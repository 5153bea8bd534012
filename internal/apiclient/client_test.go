package apiclient_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/livevote/livevote/internal/apiclient"
	"github.com/livevote/livevote/internal/servertest"
	"github.com/livevote/livevote/server"
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/votetest"
)

const token = "organiser"

// serve starts the real server on loopback with one test poll (on the memory store: the client
// sees HTTP only) and returns its URL and the poll's id.
func serve(t *testing.T, pollYAML ...string) (string, string) {
	t.Helper()
	p := votetest.Poll(t, pollYAML...)
	srv := servertest.Start(t, server.Config{Polls: []*vote.Poll{p}, Store: memstore.New(), Secret: []byte("secret"), AdminToken: token})
	return srv.URL, p.ID
}

func newClient(t *testing.T, base string, o apiclient.Options) *apiclient.Client {
	t.Helper()
	c, err := apiclient.New(base, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClient drives the API as a voter and an organiser do: the typed calls answer what the
// server said, API errors come back as *Error with the API's code, and the voter cookie names
// the voter.
func TestClient(t *testing.T) {
	ctx := context.Background()
	base, poll := serve(t, "difficulty: 300")
	org := newClient(t, base, apiclient.Options{Token: token})

	if id, err := org.FirstPoll(ctx); err != nil || id != poll {
		t.Fatalf("FirstPoll = %q, %v; want %q", id, err, poll)
	}
	p, err := org.Poll(ctx, poll)
	if err != nil || p.ID != poll || p.Status != "open" || p.Difficulty != 300 || len(p.Candidates) != 3 {
		t.Fatalf("Poll = %+v, %v", p, err)
	}

	voter := newClient(t, base, apiclient.Options{})
	if voter.Voter() != "" {
		t.Fatal("a new client has a voter cookie")
	}
	r, err := voter.Cast(ctx, poll, "a")
	if err != nil || r.Status != "accepted" || r.Receipt == "" || len(r.Choices) != 1 || r.Choices[0] != "a" {
		t.Fatalf("Cast = %+v, %v", r, err)
	}
	if voter.Voter() == "" {
		t.Fatal("no voter cookie after voting")
	}

	// The same voter on another client (the load tool's prepared voters) is refused a second vote.
	same := newClient(t, base, apiclient.Options{})
	same.SetVoter(voter.Voter())
	sol, err := same.Solve(ctx, poll)
	if err != nil || sol == nil {
		t.Fatalf("Solve = %v, %v", sol, err)
	}
	_, err = same.Vote(ctx, poll, apiclient.Ballot{Choices: []string{"b"}, PoW: sol})
	var apiErr *apiclient.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusConflict || apiErr.Code != "already_voted" || apiErr.Message == "" {
		t.Errorf("a second vote of the same voter: %v, want 409 already_voted", err)
	}
	// Without the proof of work the vote is refused with the API's reason.
	_, err = newClient(t, base, apiclient.Options{}).Vote(ctx, poll, apiclient.Ballot{Choices: []string{"b"}})
	if !errors.As(err, &apiErr) || apiErr.Status/100 != 4 || apiErr.Code == "" {
		t.Errorf("a vote without a cookie or pow: %v, want an API error", err)
	}

	if err := org.SetDifficulty(ctx, poll, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, base, apiclient.Options{}).Cast(ctx, poll, "c"); err != nil {
		t.Fatalf("Cast at difficulty 0: %v", err)
	}
	if n, err := org.Results(ctx, poll); err != nil || n.Recorded() != 2 {
		t.Errorf("Results = %+v, %v; want 2 ballots recorded", n, err)
	}
	if err := newClient(t, base, apiclient.Options{Token: "guess"}).SetDifficulty(ctx, poll, 5); !errors.As(err, &apiErr) || apiErr.Code != "unauthorized" {
		t.Errorf("SetDifficulty with a wrong token: %v, want unauthorized", err)
	}

	// Do answers any status, with the client's header and the call's.
	c := newClient(t, base, apiclient.Options{Header: http.Header{"Accept-Language": {"zh"}}})
	res, err := c.Do(ctx, "GET", "/api/v1/polls/nope", nil, nil)
	if err != nil || res.Status != http.StatusNotFound {
		t.Fatalf("Do = %+v, %v", res, err)
	}
	if code, msg := apiclient.ErrorCode(res.Body); code != "poll_not_found" || msg == "" {
		t.Errorf("ErrorCode = %q, %q", code, msg)
	}
	if code, _ := apiclient.ErrorCode([]byte("not json")); code != "" {
		t.Errorf("ErrorCode of a non-error = %q", code)
	}
}

func TestNewRefusesBadBase(t *testing.T) {
	for _, base := range []string{"", "127.0.0.1:8080", "ftp://127.0.0.1", "http://"} {
		if _, err := apiclient.New(base, apiclient.Options{}); err == nil {
			t.Errorf("New(%q) accepted", base)
		}
	}
}

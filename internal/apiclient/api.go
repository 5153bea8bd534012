package apiclient

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/livevote/livevote/internal/pow"
)

// Poll is what the clients here read of a poll (GET /api/v1/polls/{poll}; the list gives fewer
// fields).
type Poll struct {
	ID         string      `json:"id"`
	Status     string      `json:"status"`
	Results    string      `json:"results"`
	Difficulty int         `json:"difficulty"`
	Candidates []Candidate `json:"candidates"`
}

// Candidate is one choice of a poll.
type Candidate struct {
	ID string `json:"id"`
}

// Receipt is the answer to a recorded vote (201).
type Receipt struct {
	Status  string   `json:"status"`
	Receipt string   `json:"receipt"`
	Choices []string `json:"choices"`
}

// Counts is what the organiser's results say of the recorded ballots: Ballots is every ballot
// received and not void (counted and held), Counted and Held its two parts (organisers only).
type Counts struct {
	Ballots int64 `json:"ballots"`
	Counted int64 `json:"counted"`
	Held    int64 `json:"held"`
}

// Recorded is every ballot the server holds: counted and held for review.
func (c Counts) Recorded() int64 { return c.Ballots }

// PollPath is the API path of a poll; VotesPath where its votes are posted.
func PollPath(poll string) string  { return "/api/v1/polls/" + url.PathEscape(poll) }
func VotesPath(poll string) string { return PollPath(poll) + "/votes" }

// Polls lists the server's polls, in the server's order.
func (c *Client) Polls(ctx context.Context) ([]Poll, error) {
	var list struct {
		Polls []Poll `json:"polls"`
	}
	err := c.call(ctx, http.MethodGet, "/api/v1/polls", false, nil, http.StatusOK, &list)
	return list.Polls, err
}

// FirstPoll is the id of the server's first poll.
func (c *Client) FirstPoll(ctx context.Context) (string, error) {
	polls, err := c.Polls(ctx)
	if err != nil {
		return "", err
	}
	if len(polls) == 0 {
		return "", errors.New("the server has no polls")
	}
	return polls[0].ID, nil
}

// Poll opens a poll as the ballot page does; the server sets the voter cookie when the client
// has none.
func (c *Client) Poll(ctx context.Context, poll string) (Poll, error) {
	var p Poll
	err := c.call(ctx, http.MethodGet, PollPath(poll), false, nil, http.StatusOK, &p)
	return p, err
}

// Challenge fetches a proof-of-work challenge for the client's voter.
func (c *Client) Challenge(ctx context.Context, poll string) (pow.Challenge, error) {
	var ch pow.Challenge
	err := c.call(ctx, http.MethodGet, PollPath(poll)+"/challenge", false, nil, http.StatusOK, &ch)
	return ch, err
}

// Solve fetches a challenge and solves it; nil when the poll asks for no proof of work.
func (c *Client) Solve(ctx context.Context, poll string) (*pow.Solution, error) {
	ch, err := c.Challenge(ctx, poll)
	if err != nil || !ch.Required() {
		return nil, err
	}
	sol, err := pow.Solve(ch)
	if err != nil {
		return nil, err
	}
	return &sol, nil
}

// Ballot is the body of a vote.
type Ballot struct {
	Choices []string      `json:"choices"`
	PoW     *pow.Solution `json:"pow,omitempty"`
}

// Vote posts a ballot; it answers the receipt of a recorded vote (201), else an *Error.
func (c *Client) Vote(ctx context.Context, poll string, b Ballot) (Receipt, error) {
	var r Receipt
	err := c.call(ctx, http.MethodPost, VotesPath(poll), false, b, http.StatusCreated, &r)
	return r, err
}

// Cast votes for choices as a voter does: it opens the poll (for the voter cookie), solves a
// challenge when the poll asks for one, and votes.
func (c *Client) Cast(ctx context.Context, poll string, choices ...string) (Receipt, error) {
	if _, err := c.Poll(ctx, poll); err != nil {
		return Receipt{}, err
	}
	sol, err := c.Solve(ctx, poll)
	if err != nil {
		return Receipt{}, err
	}
	return c.Vote(ctx, poll, Ballot{Choices: choices, PoW: sol})
}

// Results reads the organiser's results of a poll (with the token): how many ballots are
// recorded. The server answers anyone the ballots received; how many of them are counted and held
// only with a valid token (else Counted and Held are 0).
func (c *Client) Results(ctx context.Context, poll string) (Counts, error) {
	var n Counts
	err := c.call(ctx, http.MethodGet, PollPath(poll)+"/results", true, nil, http.StatusOK, &n)
	return n, err
}

// SetDifficulty sets a poll's proof-of-work difficulty, as the organiser.
func (c *Client) SetDifficulty(ctx context.Context, poll string, n int) error {
	path := "/api/v1/admin/polls/" + url.PathEscape(poll) + "/difficulty"
	return c.call(ctx, http.MethodPost, path, true, map[string]int{"difficulty": n}, http.StatusOK, nil)
}

package server

import (
	"errors"
	"log/slog"
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/server/pages"
	"github.com/livevote/livevote/server/wire"
	"github.com/livevote/livevote/translog/logweb"
	"github.com/livevote/livevote/vote"
)

// Errors of the HTTP layer; the domain's errors live in package vote, those of who a request is
// (roles, rate limits) in package access.
var (
	errInvalidRequest   = wire.ErrInvalid
	errVoterToken       = errors.New("no valid voter cookie: open the poll first to get one")
	errBodyTooLarge     = errors.New("the request body is too large")
	errNotFound         = errors.New("no such API path")
	errMethodNotAllowed = errors.New("method not allowed on this path")
	errInternal         = errors.New("internal error")
	errUpgradeRequired  = errors.New("this path serves WebSocket connections only")
	errTooManyLive      = errors.New("too many live connections: try again shortly")
	errOriginNotAllowed = errors.New("live updates are not open to pages of this origin")
	errBadHost          = pages.ErrBadHost
	errHeadersTooLarge  = errors.New("the request line or headers are too large")
	errRequestTimeout   = errors.New("the request was not received in time")
	errUnreviewed       = errors.New("ballots are held or pending: reveal with \"confirm\": true to reveal without them")
	errNotRevealed      = errors.New("the results are not revealed: reveal them first")
	errTokenInURL       = errors.New("a token in the URL (?token=) is not accepted, as URLs end up in logs: send it as the WebSocket subprotocol livevote.bearer.<base64url of the token>, or in an Authorization header")
	errBadWSToken       = errors.New("the token subprotocol is not livevote.bearer.<base64url of the token, no padding>, or a token was sent twice")
)

// apiError is the body of every 4xx and 5xx answer under /api/.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// codes maps each error the API answers with to its status and code: the one place where errors
// become HTTP.
var codes = []struct {
	err    error
	status int
	code   string
}{
	{access.ErrRateLimited, fiber.StatusTooManyRequests, "rate_limited"},
	{access.ErrTooManyFailures, fiber.StatusTooManyRequests, "rate_limited"},
	{vote.ErrSourceCapped, fiber.StatusTooManyRequests, "rate_limited"},
	{errBodyTooLarge, fiber.StatusRequestEntityTooLarge, "body_too_large"},
	{vote.ErrPollNotFound, fiber.StatusNotFound, "poll_not_found"},
	{vote.ErrReceiptNotFound, fiber.StatusNotFound, "receipt_not_found"},
	{errNotFound, fiber.StatusNotFound, "not_found"},
	{errMethodNotAllowed, fiber.StatusMethodNotAllowed, "method_not_allowed"},
	{errInvalidRequest, fiber.StatusBadRequest, "invalid_request"},
	{errTokenInURL, fiber.StatusBadRequest, "invalid_request"},
	{errBadWSToken, fiber.StatusBadRequest, "invalid_request"},
	{logweb.ErrInvalidQuery, fiber.StatusBadRequest, "invalid_request"},
	{errBadHost, fiber.StatusBadRequest, "invalid_host"},
	{errRequestTimeout, fiber.StatusRequestTimeout, "request_timeout"},
	{errHeadersTooLarge, fiber.StatusRequestHeaderFieldsTooLarge, "headers_too_large"},
	{errOriginNotAllowed, fiber.StatusForbidden, "origin_not_allowed"},
	{errVoterToken, fiber.StatusUnauthorized, "voter_token_required"},
	{access.ErrUnauthorized, fiber.StatusUnauthorized, "unauthorized"},
	{access.ErrForbidden, fiber.StatusForbidden, "forbidden"},
	{vote.ErrVotingClosed, fiber.StatusForbidden, "voting_closed"},
	{vote.ErrChallengeFailed, fiber.StatusForbidden, "challenge_failed"},
	{vote.ErrInvalidChoice, fiber.StatusUnprocessableEntity, "invalid_choice"},
	{vote.ErrAlreadyVoted, fiber.StatusConflict, "already_voted"},
	{vote.ErrNotHeld, fiber.StatusConflict, "not_held"},
	{errUnreviewed, fiber.StatusConflict, "unreviewed_ballots"},
	{errNotRevealed, fiber.StatusConflict, "not_revealed"},
	{vote.ErrUnavailable, fiber.StatusServiceUnavailable, "unavailable"},
	{errTooManyLive, fiber.StatusServiceUnavailable, "unavailable"},
	{errUpgradeRequired, fiber.StatusUpgradeRequired, "upgrade_required"},
}

// notVote are the errors that only requests other than a vote are answered with. Every other
// error of codes is something a vote attempt can end with: a new error is a vote result unless it
// is listed here.
var notVote = []error{access.ErrUnauthorized, vote.ErrReceiptNotFound, vote.ErrNotHeld, errNotFound,
	errMethodNotAllowed, errUpgradeRequired, errTooManyLive, access.ErrForbidden, errOriginNotAllowed,
	errBadHost, errHeadersTooLarge, errRequestTimeout, errUnreviewed, errNotRevealed, errTokenInURL, errBadWSToken, access.ErrTooManyFailures,
	logweb.ErrInvalidQuery}

// ErrorCodes returns every error code the API answers with, once each, in the order of the table
// above, then "internal". The pages get the list from /static/codes.js (static/common/codes.js,
// written by go generate ./static).
func ErrorCodes() []string {
	out := []string{}
	for _, c := range codes {
		if !slices.Contains(out, c.code) {
			out = append(out, c.code)
		}
	}
	return append(out, "internal")
}

// VoteResults returns the results a vote attempt can end with, a small fixed set: "accepted",
// "held", every code of the table that a vote can be refused with (all but those of notVote),
// then "internal". Metrics (livevote_votes_total) and the fraud counters count by these.
func VoteResults() []string {
	out := []string{"accepted", "held"}
	for _, c := range codes {
		if !slices.Contains(out, c.code) && !slices.Contains(notVote, c.err) {
			out = append(out, c.code)
		}
	}
	return append(out, "internal")
}

// Code returns the API error code for err ("internal" for errors the API does not name).
func Code(err error) string {
	_, code, _ := classify(err)
	return code
}

// fiberErrors are the errors of Fiber and of fasthttp below it (which Fiber's server error
// handler turns into *fiber.Error: 431 for a request line or headers over the read buffer, 408
// for a read timeout, 400 with the parser's text for malformed HTTP), by status.
var fiberErrors = map[int]error{
	fiber.StatusRequestEntityTooLarge:       errBodyTooLarge,
	fiber.StatusNotFound:                    errNotFound,
	fiber.StatusMethodNotAllowed:            errMethodNotAllowed,
	fiber.StatusTooManyRequests:             access.ErrRateLimited,
	fiber.StatusBadRequest:                  errInvalidRequest,
	fiber.StatusUpgradeRequired:             errUpgradeRequired,
	fiber.StatusRequestHeaderFieldsTooLarge: errHeadersTooLarge,
	fiber.StatusRequestTimeout:              errRequestTimeout,
	// A network error while reading the request: the client went away (no one reads the answer).
	fiber.StatusBadGateway: errInvalidRequest,
}

// classify returns err's status and code, and the error of this package whose text is the
// answer's message: err itself when it is (or wraps) one of the table's errors, else the
// table's error for a Fiber status, else errInternal. A *fiber.Error's own text is never
// used: fasthttp's parser puts the raw request in it (cookies, tokens).
func classify(err error) (int, string, error) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		known, ok := fiberErrors[fe.Code]
		switch {
		case !ok && fe.Code < fiber.StatusInternalServerError:
			known = errInvalidRequest // another fault of the client's HTTP
		case !ok:
			known = errInternal
		}
		status, code, _ := classify(known)
		return status, code, known
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.status, c.code, err
		}
	}
	return fiber.StatusInternalServerError, "internal", errInternal
}

// errorHandler answers every error a handler returns, and the faults of a client's HTTP that
// Fiber and fasthttp find below the handlers. The answer is the JSON error of docs/API.md. The message
// is the text of one of this package's errors, never the request's bytes; internal errors are
// logged at ERROR, a client's faults are not.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, code, known := classify(err)
		msg := known.Error()
		var fe *fiber.Error
		switch {
		case status == fiber.StatusInternalServerError && errors.As(err, &fe):
			log.Error("request failed", "route", c.Route().Path, "status", fe.Code) // its text may quote the request
		case status == fiber.StatusInternalServerError:
			log.Error("request failed", "route", c.Route().Path, "err", err)
		}
		if errors.Is(err, vote.ErrUnavailable) {
			log.Warn("store unavailable", "route", c.Route().Path, "err", err)
			msg = "the vote store cannot be reached right now; nothing was recorded: try again"
		}
		var body apiError
		body.Error.Code, body.Error.Message = code, msg
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(status).JSON(body)
	}
}

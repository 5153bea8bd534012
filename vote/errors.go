package vote

import "errors"

// Sentinel errors of the domain. Callers test them with errors.Is; the server maps each to one
// HTTP status and error code in a single place.
var (
	ErrPollNotFound    = errors.New("no such poll")
	ErrReceiptNotFound = errors.New("no such receipt")
	ErrVotingClosed    = errors.New("voting is not open in this poll")
	ErrAlreadyVoted    = errors.New("this voter has already voted in this poll")
	ErrInvalidChoice   = errors.New("invalid choice")
	ErrChallengeFailed = errors.New("the proof-of-work is missing, wrong, expired or used: get a new challenge")
	ErrNotHeld         = errors.New("ballot is not awaiting review")
	// ErrSourceCapped refuses a ballot from an IP address over its poll's hard cap
	// (FraudPolicy.IPHardCap).
	ErrSourceCapped = errors.New("too many ballots from this network address: try again later")
	// ErrUnavailable means the store could not do what was asked. For a ballot it is usually not
	// recorded; after a timeout it may be (see Ballots.Cast).
	ErrUnavailable = errors.New("store unavailable")
)

type unavailableError struct{ err error }

func (e unavailableError) Error() string   { return ErrUnavailable.Error() + ": " + e.err.Error() }
func (e unavailableError) Unwrap() []error { return []error{ErrUnavailable, e.err} }

// Unavailable wraps a failure to reach the store so that it matches both ErrUnavailable and err.
func Unavailable(err error) error { return unavailableError{err} }

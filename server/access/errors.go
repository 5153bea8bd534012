package access

import "errors"

// Errors that this package's middleware answers with. Package server maps them to HTTP statuses
// and codes with its own (server/errors.go: the one place where errors become HTTP).
var (
	ErrUnauthorized    = errors.New("a valid organiser token is required")
	ErrForbidden       = errors.New("this token's role may not do this")
	ErrRateLimited     = errors.New("too many requests: try again shortly")
	ErrTooManyFailures = errors.New("too many wrong tokens from this network: try again later")
)

package server

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// The query parameters of the API: each is read with these (the log's by translog/logweb, alike),
// so that a bad value is 400 invalid_request rather than a silent default.

// badQuery is an invalid_request about one query parameter: its message names the parameter and
// says what it must be (never quoting the value).
type badQuery struct{ name, want string }

func (e badQuery) Error() string { return "query parameter " + e.name + ": " + e.want }
func (e badQuery) Unwrap() error { return errInvalidRequest }

// queryValue returns the query parameter name, def when it is absent or empty, and
// errInvalidRequest when it is given more than once (which one would be meant?).
func queryValue(c *fiber.Ctx, name, def string) (string, error) {
	values := c.Context().QueryArgs().PeekMulti(name)
	switch {
	case len(values) > 1:
		return "", badQuery{name, "given more than once"}
	case len(values) == 0 || len(values[0]) == 0:
		return def, nil
	}
	return string(values[0]), nil
}

// queryInt returns the query parameter name as a decimal integer from lo to hi, def when it is
// absent or empty; anything else (not a number, out of range, given twice) is errInvalidRequest
// (badQuery, naming the parameter).
func queryInt(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	v, err := queryValue(c, name, "")
	if err != nil || v == "" {
		return def, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi || v[0] == '+' {
		return 0, badQuery{name, "must be a whole number from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi)}
	}
	return n, nil
}

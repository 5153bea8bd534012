// Package wire reads the JSON API's request bodies (docs/API.md): strictly, as one object of known
// fields (DecodeStrict), and a vote's body, the hot one, by hand when it has the usual shape
// (DecodeVote), with the same values and errors. Its errors wrap ErrInvalid and say what is wrong
// in the API's words, never with the body's bytes: an error's text is the answer's message.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrInvalid is what a body that is not JSON of the expected shape is (the server answers it
// 400 invalid_request).
var ErrInvalid = errors.New("the request is not valid JSON of the expected shape")

// DecodeStrict fills v from a JSON body that must hold exactly one object with only known fields.
// Its errors wrap ErrInvalid and say what is wrong (the field of v, the byte offset).
func DecodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s", ErrInvalid, jsonProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: data after the JSON object", ErrInvalid)
	}
	return nil
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("field %q has the wrong type", typ.Field) // a field of v: the API's name
	case errors.As(err, &typ):
		return "not a JSON object"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return "an unknown field"
	}
	return "not JSON of the expected shape"
}

package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// decodeStrict fills v from a JSON body that must hold exactly one object with only known fields.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", errInvalidRequest, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON object", errInvalidRequest)
	}
	return nil
}

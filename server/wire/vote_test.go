package wire

import (
	"reflect"
	"testing"
)

// FuzzDecodeVote: DecodeVote gives what DecodeStrict gives for any body, the value or the error
// (its message included), whether the hand-written reader takes the body or leaves it to
// encoding/json.
func FuzzDecodeVote(f *testing.F) {
	for _, s := range []string{
		`{"choices":["a"]}`, ` { "choices" : [ "a" , "b" ] , "website" : "" } `, `{"choices":[]}`, `{}`,
		`{"choices":null,"pow":null,"client":null,"website":null}`, `{"choices":["a"],"choices":["b"]}`,
		`{"Choices":["a"]}`, `{"choices":["\u00e9"]}`, `{"choices":["é"]}`, "{\"choices\":[\"\xff\"]}",
		`{"choices":["a"],"pow":{"algorithm":"SHA-256","challenge":"c","number":12,"salt":"s","signature":"x"}}`,
		`{"pow":{"number":-0}}`, `{"pow":{"number":01}}`, `{"pow":{"number":1.0}}`, `{"pow":{"number":1e3}}`,
		`{"pow":{"number":99999999999999999999}}`, `{"pow":{}}`, `{"pow":{"extra":1}}`,
		`{"client":{"webdriver":true,"elapsed_ms":1200}}`, `{"client":{"webdriver":null,"elapsed_ms":null}}`,
		`{"client":{"webdriver":1}}`, `{"choices":["a"]} {}`, `{"choices":["a"]}x`, `null`, ``, `[]`,
		`{"choices":[null]}`, `{"website":5}`, `{"choices":["a",]}`, `{,}`, `{"choices":["a"]`, `{"choices":nul}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast, strict Vote
		errFast, errStrict := DecodeVote(body, &fast), DecodeStrict(body, &strict)
		if (errFast == nil) != (errStrict == nil) || (errFast != nil && errFast.Error() != errStrict.Error()) {
			t.Fatalf("body %q: DecodeVote %v, DecodeStrict %v", body, errFast, errStrict)
		}
		if errFast == nil && !reflect.DeepEqual(fast, strict) {
			t.Fatalf("body %q: DecodeVote %+v, DecodeStrict %+v", body, fast, strict)
		}
	})
}

// The bodies the ballot page and the load tool send take the hand-written path.
func TestDecodeVoteTakesCommonBodies(t *testing.T) {
	for _, body := range []string{
		`{"choices":["a","b"]}`,
		`{"choices":["kazan"],"pow":{"algorithm":"SHA-256","challenge":"c","number":12,"salt":"s","signature":"x"},"website":"","client":{"webdriver":false,"elapsed_ms":5400}}`,
	} {
		var req Vote
		s := voteScanner{b: []byte(body)}
		if !s.request(&req) {
			t.Errorf("%s: left to encoding/json", body)
		}
	}
}

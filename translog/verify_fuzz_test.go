package translog_test

import (
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/livevote/livevote/translog"
)

// FuzzVerifyExport: verify reads files from anyone; whatever they hold, it answers an error or
// a result, never a panic, and it accepts only as many leaves as the signed checkpoint's size.
func FuzzVerifyExport(f *testing.F) {
	key, err := translog.DeriveKey([]byte("fuzz"), "livevote.test")
	if err != nil {
		f.Fatal(err)
	}
	signed, err := key.Sign(translog.Checkpoint{Origin: "livevote.test/p", Size: 0, Root: sha256.Sum256(nil)})
	if err != nil {
		f.Fatal(err)
	}
	zero := int64(0)
	empty, _ := json.Marshal(translog.Export{Poll: "p", Tally: map[string]int64{"a": 0}, Checkpoint: string(signed), TreeSize: &zero,
		Leaves: []string{}, Salt: "00", SealedSize: &zero, SealedLeaves: []string{}, Log: []json.RawMessage{}, Void: &zero})
	f.Add(empty)
	f.Add([]byte(`{"poll":"p","tally":{"a":1},"ballots":1,"checkpoint":"x","leaves":["e30="]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := translog.VerifyExport(data, key.VerifierKey())
		if string(data) == string(empty) && err != nil {
			t.Fatalf("the empty export: %v", err)
		}
		if err != nil {
			return
		}
		var x translog.Export
		if json.Unmarshal(data, &x) != nil || int64(len(x.Leaves)) != v.Checkpoint.Size {
			t.Fatalf("accepted %q as %+v", data, v)
		}
	})
}

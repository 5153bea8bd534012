package translog_test

import (
	"encoding/json"
	"testing"

	"github.com/livevote/livevote/translog"
)

// leafCases are leaves of every type and every field, with strings that need each of JSON's
// escapes.
func leafCases() []translog.Leaf {
	yes, no, empty, odd := true, false, "", "a\"b\\c<d>e&f\u2028g\x01h\xffi é 投票"
	out := []translog.Leaf{
		{Type: "ballot", ReceiptHash: "ab12", At: "2026-12-02T01:02:03.004Z", Choices: []string{"gz", "tokyo"}, Held: &no},
		{Type: "ballot", ReceiptHash: "ab12", At: "2026-12-02T01:02:03.004Z", Choices: []string{}, Held: &yes},
		{Type: "ballot", At: "t", Choices: nil},
		{Type: "release", ReceiptHash: "cd34", At: "t", By: "system"},
		{Type: "void", ReceiptHash: "cd34", At: "t"},
		{Type: "admin", At: "t", Action: "status", Value: &empty, Role: "organiser"},
		{Type: "admin", At: "t", Action: odd, Value: &odd, Role: odd, By: odd},
		{Type: odd, ReceiptHash: odd, At: odd, Choices: []string{odd, "", "x"}},
	}
	// each escape alone, so that no other character sends the string down the slow path
	for _, s := range []string{`"`, `\`, "<", ">", "&", "\x1f", "\x7f", "\u2028", "\u2029", "\xff", "é"} {
		out = append(out, translog.Leaf{Type: "admin", At: "t", Action: "a" + s + "b"})
	}
	return out
}

// Leaf.Bytes is the format's definition, json.Marshal of the Leaf, without reflection: the two
// must give the same bytes for every leaf, or every tree changes.
func TestLeafBytesAreJSONMarshal(t *testing.T) {
	for _, l := range leafCases() {
		checkLeafBytes(t, l)
	}
}

func FuzzLeafBytes(f *testing.F) {
	for _, l := range leafCases() {
		f.Add(l.Type, l.ReceiptHash, l.At, l.Action, l.Role, l.By, "c1", l.Held != nil)
	}
	f.Fuzz(func(t *testing.T, typ, receipt, at, action, role, by, choice string, held bool) {
		l := translog.Leaf{Type: typ, ReceiptHash: receipt, At: at, Action: action, Role: role, By: by}
		if choice != "" {
			l.Choices = []string{choice, at}
		}
		if held {
			l.Held, l.Value = &held, &by
		}
		checkLeafBytes(t, l)
	})
}

func checkLeafBytes(t *testing.T, l translog.Leaf) {
	t.Helper()
	want, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Bytes(); string(got) != string(want) {
		t.Errorf("leaf %+v:\n got %s\nwant %s", l, got, want)
	}
}

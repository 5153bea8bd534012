package loadtest

import (
	"encoding/json"
	"io"
	"testing"
	"time"
)

func TestPublishBody(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 4, 5, 678e6, time.UTC)
	for _, size := range []int{0, 100, 315} {
		b := publishBody(nil, "bench", 42, size, now)
		var cmd struct {
			Channel string `json:"channel"`
			Data    struct {
				Seq uint64 `json:"seq"`
				At  string `json:"at"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &cmd); err != nil {
			t.Fatalf("size %d: %s: %v", size, b, err)
		}
		if cmd.Channel != "bench" || cmd.Data.Seq != 42 || cmd.Data.At != "2026-12-07T03:04:05.678Z" {
			t.Errorf("size %d: %+v", size, cmd)
		}
		var raw struct{ Data json.RawMessage }
		_ = json.Unmarshal(b, &raw)
		if n := len(raw.Data); size > 60 && n != size {
			t.Errorf("size %d: data of %d bytes", size, n)
		}
		// What a dashboard reads of it: the same seq and at as a livevote snapshot's.
		var ds dashboards
		d := &dashboard{}
		ds.note(d, raw.Data, now.Add(time.Second).UnixNano())
		if len(d.msgs) != 1 || d.seq != 42 || d.msgs[0].at != now.UnixNano() {
			t.Errorf("size %d: noted %+v, seq %d", size, d.msgs, d.seq)
		}
	}
}

func TestParsePeer(t *testing.T) {
	c, err := parse([]string{"-peer", "centrifugo", "-peer-key", "k", "-rate", "4"}, io.Discard)
	if err != nil || c.target != targetPublish {
		t.Errorf("a peer run: %+v, %v", c, err)
	}
	if _, err := parse([]string{"-peer", "centrifugo", "-rate", "4"}, io.Discard); err == nil {
		t.Error("publishing to the peer without its API key accepted")
	}
	if _, err := parse([]string{"-peer", "other", "-rate", "0"}, io.Discard); err == nil {
		t.Error("an unknown peer accepted")
	}
}

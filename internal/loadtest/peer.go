package loadtest

import (
	"bytes"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// The peer: a Centrifugo server (v6, JSON protocol) measured the way livevote's hub is, for the
// side-by-side comparison in BENCHMARKS.md. With -peer centrifugo the dashboards connect to
// /connection/websocket and subscribe to one channel, and the arrivals are publications to that
// channel through Centrifugo's HTTP API, each carrying "at" and "seq" as a livevote snapshot
// does, so that delivery and gaps are measured by the same code.
const (
	peerCentrifugo = "centrifugo"
	// targetPublish is the arrivals' target with a peer: one publication each.
	targetPublish = "publish"

	peerWSPath      = "/connection/websocket"
	peerPublishPath = "/api/publish"
)

// peerHello is what a dashboard sends right after the upgrade: the connect command (anonymous:
// the peer runs with client.insecure) and the subscription, one frame of two JSON lines.
func peerHello(channel string) []byte {
	ch := strconv.Quote(channel)
	return []byte(`{"id":1,"connect":{}}` + "\n" + `{"id":2,"subscribe":{"channel":` + ch + `}}`)
}

// peerPing is the peer's ping, a frame holding an empty command; the client answers with the
// same (Centrifugo's "pong": true, the default of its v6 protocol).
var peerPing = []byte("{}")

// publishBody appends to b the publish command of publication seq (from 1): data holds "at"
// (when it was sent, as in a snapshot), "seq" and padding up to about size bytes of data.
func publishBody(b []byte, channel string, seq int64, size int, now time.Time) []byte {
	b = append(b, `{"channel":`...)
	b = strconv.AppendQuote(b, channel)
	b = append(b, `,"data":{"seq":`...)
	start := len(b) - len(`{"seq":`)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"pad":"`...)
	const tail = `","at":"2006-01-02T15:04:05.000Z"}`
	for len(b)-start+len(tail) < size {
		b = append(b, 'x')
	}
	b = append(b, `","at":"`...)
	b = now.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	return append(b, `"}}`...)
}

// publish sends one publication (its command, body) to the peer's HTTP API.
func (p *phase) publish(req *fasthttp.Request, res *fasthttp.Response, body []byte) error {
	req.Reset()
	req.Header.SetMethod(fasthttp.MethodPost)
	req.SetRequestURI(p.api.base + peerPublishPath)
	req.Header.SetContentType("application/json")
	req.Header.Set("X-API-Key", p.peerKey)
	req.SetBodyRaw(body)
	return p.api.hc.Do(req, res)
}

// publishFailed reports whether the peer's answer to a publication (HTTP 200 either way) is an
// error: {"error":{...}} instead of {"result":{...}}.
func publishFailed(body []byte) bool { return bytes.Contains(body, []byte(`"error"`)) }

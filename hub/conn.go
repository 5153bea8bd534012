package hub

import (
	"encoding/binary"
	"io"
	"time"
)

// Conn is one WebSocket connection as the hub uses it. Its methods are a subset of those of
// github.com/fasthttp/websocket's *Conn, with the same meaning, so its *websocket.Conn satisfies
// Conn as it is (hub/hubws passes Serve an adapter of it that writes data messages to the socket
// itself).
//
// Who calls what (the contract an implementation may rely on, and must honour):
//   - The goroutine that called Serve (the reader) calls SetReadLimit, SetPingHandler,
//     SetPongHandler and SetReadDeadline before anything else, then NextReader in a loop; the ping
//     and pong handlers run inside NextReader, and the pong handler calls SetReadDeadline. The
//     ping handler writes nothing (the writer answers pings). Before the writer starts, and only
//     when Serve refuses the connection, the reader writes one close frame with WriteControl.
//   - The connection's writer calls WriteMessage, WriteControl (ping, pong, close) and
//     SetWriteDeadline, and, to end the connection, SetReadDeadline(time.Now()) and Close while
//     the reader may be blocked in NextReader. Both must be safe to call then, and
//     SetReadDeadline(time.Now()) must make a blocked NextReader return an error promptly (Close
//     alone need not). The writer is not always the same goroutine (a connection holds none between
//     writes, and its next write comes from whichever of the hub's writers takes it), but there is never more than one at a
//     time, and each one's calls happen after the previous one's (in the sense of the Go memory
//     model; the hub's gate sees to it): a Conn that allows one concurrent writer, as
//     fasthttp/websocket's does, needs nothing more.
//   - No method is called after Serve returns.
//
// Writes must honour their deadline: a write that cannot complete by it fails. WriteMessage must
// not keep data after it returns (the hub reuses the buffer).
type Conn interface {
	// NextReader blocks until the next data message from the client and returns a reader for it;
	// an unread message is discarded by the next call. Any error is permanent.
	NextReader() (messageType int, r io.Reader, err error)
	// SetReadLimit sets the largest message the client may send; a larger one fails the read.
	SetReadLimit(limit int64)
	// SetReadDeadline sets when a blocked or future read fails.
	SetReadDeadline(t time.Time) error
	// SetPingHandler sets the function called, inside NextReader, for each ping from the client,
	// instead of answering it: the handler's error, if any, is NextReader's.
	SetPingHandler(h func(appData string) error)
	// SetPongHandler sets the function called, inside NextReader, for each pong from the client;
	// the handler's error, if any, is NextReader's.
	SetPongHandler(h func(appData string) error)

	// WriteMessage writes one data message (the hub writes text messages only).
	WriteMessage(messageType int, data []byte) error
	// WriteControl writes one control frame (ping or close) that must be written by deadline.
	WriteControl(messageType int, data []byte, deadline time.Time) error
	// SetWriteDeadline sets when the following WriteMessage calls fail if not written.
	SetWriteDeadline(t time.Time) error
	// Close closes the connection without a close frame.
	Close() error
}

// WebSocket opcodes (RFC 6455, section 11.8), the values of fasthttp/websocket's message types.
const (
	textMessage  = 1
	closeMessage = 8
	pingMessage  = 9
	pongMessage  = 10
)

// WebSocket close codes (RFC 6455, section 7.4.1) the hub sends.
const (
	closeGoingAway       = 1001 // the hub shuts down or the server ends the connection
	closePolicyViolation = 1008 // the client sent too many messages
	closeTryAgainLater   = 1013 // the hub is full
)

// closePayload is the body of a close frame: the code, big-endian, then the reason.
func closePayload(code int, text string) []byte {
	b := make([]byte, 2, 2+len(text))
	binary.BigEndian.PutUint16(b, uint16(code))
	return append(b, text...)
}

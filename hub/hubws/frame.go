package hubws

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/gofiber/contrib/websocket"
)

// frameConn is the connection as the hub uses it (hub.Conn): contrib/websocket's, except that a
// data message goes straight to the socket as one frame, without a write deadline unless the
// write would block.
//
// A message to a client that reads is one write(2) that the kernel takes whole: arming a write
// deadline for it (a runtime timer added and removed, the poller's state) and the library's
// frame writer (its write lock, a buffer, the frame's header written into it) cost the server
// about as much as the rest of its own part of a delivered message (BENCHMARKS.md, "Performance
// 3"). So WriteMessage first tries the whole frame in one non-blocking write, outside the Go
// poller; only when the socket does not take it all (the client's buffers are full: a slow
// client) does it arm the deadline that SetWriteDeadline last set and write the rest through the
// poller, which fails at the deadline as before. Control frames (pings, pongs, close) go through
// the library, with their own deadlines, as before.
//
// The hub calls the write methods from one writer at a time (hub.Conn), so the frames do not
// interleave with the library's control frames.
type frameConn struct {
	*websocket.Conn
	sock     net.Conn        // the TCP connection under the library's
	raw      syscall.RawConn // its descriptor; nil: every write goes through the library
	deadline time.Time       // the deadline SetWriteDeadline set, armed by a write that blocks
	frames   *sync.Pool      // of *[]byte: the handler's buffers frames are built in
}

// newFrameConn returns conn as the hub uses it, building its frames in buffers from frames (a
// pool of *[]byte; an idle connection holds none). When the socket under conn offers no file
// descriptor (not a TCP connection), writes go through the library.
func newFrameConn(conn *websocket.Conn, frames *sync.Pool) *frameConn {
	c := &frameConn{Conn: conn, sock: conn.NetConn(), frames: frames}
	if u, ok := c.sock.(interface{ UnsafeConn() net.Conn }); ok {
		c.sock = u.UnsafeConn() // fasthttp's hijacked connection: its writes are the socket's
	}
	if sc, ok := c.sock.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			c.raw = raw
		}
	}
	return c
}

// SetWriteDeadline sets the deadline of the following data messages' writes; it is armed on the
// socket only by a write that would block.
func (c *frameConn) SetWriteDeadline(t time.Time) error {
	c.deadline = t
	return nil
}

// WriteMessage writes one data message as one frame (see frameConn).
func (c *frameConn) WriteMessage(messageType int, data []byte) error {
	if c.raw == nil {
		if err := c.Conn.SetWriteDeadline(c.deadline); err != nil {
			return err
		}
		return c.Conn.WriteMessage(messageType, data)
	}
	buf := c.frames.Get().(*[]byte)
	*buf = appendFrame((*buf)[:0], messageType, data)
	err := writeFrame(c.sock, c.raw, c.deadline, *buf)
	c.frames.Put(buf)
	return err
}

// appendFrame appends to b one final, unmasked frame (a server's, RFC 6455 section 5.2) of the
// data message data of type messageType (websocket.TextMessage or BinaryMessage).
func appendFrame(b []byte, messageType int, data []byte) []byte {
	b = append(b, 0x80|byte(messageType))
	switch n := len(data); {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, data...)
}

// writeFrame writes frame to sock, whose descriptor is raw: first in one non-blocking write(2)
// that ignores sock's deadline; what the socket did not take, after arming deadline, through
// sock's Write, which fails at the deadline. Nothing else may write to sock meanwhile.
func writeFrame(sock net.Conn, raw syscall.RawConn, deadline time.Time, frame []byte) error {
	var n int
	var werr error
	// Control, not RawConn.Write: Write first checks the socket's write deadline, which an earlier
	// control frame's deadline, long past, would fail.
	if err := raw.Control(func(fd uintptr) {
		for {
			n, werr = syscall.Write(int(fd), frame)
			if !errors.Is(werr, syscall.EINTR) {
				return
			}
		}
	}); err != nil {
		return err
	}
	switch {
	case werr == nil && n == len(frame):
		return nil
	case errors.Is(werr, syscall.EAGAIN):
		n = 0
	case werr != nil:
		return &net.OpError{Op: "write", Net: "tcp", Source: sock.LocalAddr(), Addr: sock.RemoteAddr(), Err: werr}
	}
	if err := sock.SetWriteDeadline(deadline); err != nil {
		return err
	}
	_, err := sock.Write(frame[n:])
	return err
}

package hubws

import (
	"encoding/binary"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
)

// frameConn is the connection as the hub uses it (hub.Conn): the library's, except that a data
// message goes straight to the socket as one frame, without a write deadline unless the write
// would block.
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
	sock     *sockWriter // nil: every write goes through the library
	deadline time.Time   // the deadline SetWriteDeadline set, armed by a write that blocks
	frames   *sync.Pool  // of *[]byte: the handler's buffers frames are built in
}

// newFrameConn returns conn as the hub uses it, building its frames in buffers from frames (a
// pool of *[]byte; an idle connection holds none). When the connection under conn offers no file
// descriptor (not a socket), writes go through the library.
func newFrameConn(conn *websocket.Conn, frames *sync.Pool) *frameConn {
	return &frameConn{Conn: conn, sock: newSockWriter(conn.NetConn()), frames: frames}
}

// SetWriteDeadline sets the deadline of the following data messages' writes; it is armed on the
// socket only by a write that would block.
func (c *frameConn) SetWriteDeadline(t time.Time) error {
	c.deadline = t
	return nil
}

// WriteMessage writes one data message as one frame (see frameConn).
func (c *frameConn) WriteMessage(messageType int, data []byte) error {
	if c.sock == nil {
		if err := c.Conn.SetWriteDeadline(c.deadline); err != nil {
			return err
		}
		return c.Conn.WriteMessage(messageType, data)
	}
	buf := c.frames.Get().(*[]byte)
	*buf = appendFrame((*buf)[:0], messageType, data)
	err := c.sock.write(*buf, c.deadline)
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

// sockWriter writes to a socket through its descriptor first (write).
type sockWriter struct {
	conn net.Conn
	raw  syscall.RawConn
	// The descriptor's write, made once (no allocation per write): it writes out, setting n and
	// err; Control runs it.
	fd  func(fd uintptr)
	out []byte
	n   int
	err error
}

// newSockWriter returns a sockWriter of conn, or nil when conn has no descriptor.
func newSockWriter(conn net.Conn) *sockWriter {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &sockWriter{conn: conn, raw: raw}
	w.fd = func(fd uintptr) {
		for {
			w.n, w.err = syscall.Write(int(fd), w.out)
			if w.err != syscall.EINTR {
				return
			}
		}
	}
	return w
}

// write writes frame to the socket: first in one non-blocking write(2) that ignores the socket's
// deadline; what the socket did not take, after arming deadline, through the connection's Write,
// which fails at the deadline. Nothing else may write to the socket meanwhile.
func (w *sockWriter) write(frame []byte, deadline time.Time) error {
	w.out = frame
	// Control, not RawConn.Write: Write first checks the socket's write deadline, which an earlier
	// control frame's deadline, long past, would fail.
	err := w.raw.Control(w.fd)
	n, werr := w.n, w.err
	w.out, w.err = nil, nil
	if err != nil {
		return err
	}
	switch {
	case werr == nil && n == len(frame):
		return nil
	case werr == syscall.EAGAIN:
		n = 0
	case werr != nil:
		return &net.OpError{Op: "write", Net: "tcp", Source: w.conn.LocalAddr(), Addr: w.conn.RemoteAddr(), Err: werr}
	}
	if err := w.conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	_, err = w.conn.Write(frame[n:])
	return err
}

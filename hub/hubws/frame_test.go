package hubws

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// TestAppendFrame: a server's final, unmasked frame, with each of the three length encodings.
func TestAppendFrame(t *testing.T) {
	for _, n := range []int{0, 125, 126, 0xffff, 0x10000} {
		data := bytes.Repeat([]byte{'x'}, n)
		f := appendFrame([]byte("keep"), websocket.TextMessage, data)
		if !bytes.HasPrefix(f, []byte("keep")) || !bytes.HasSuffix(f, data) {
			t.Fatalf("%d bytes: the frame does not follow b or does not end with the data", n)
		}
		h := f[4 : len(f)-n]
		var want []byte
		switch {
		case n < 126:
			want = []byte{0x81, byte(n)}
		case n <= 0xffff:
			want = []byte{0x81, 126, byte(n >> 8), byte(n)}
		default:
			want = []byte{0x81, 127, 0, 0, 0, 0, 0, byte(n >> 16), byte(n >> 8), byte(n)}
		}
		if !bytes.Equal(h, want) {
			t.Errorf("%d bytes: header % x, want % x", n, h, want)
		}
	}
}

// tcpPair returns the two ends of a loopback TCP connection and the first one's descriptor.
func tcpPair(t *testing.T) (server *net.TCPConn, raw syscall.RawConn, client *net.TCPConn) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	if server, err = ln.AcceptTCP(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	if raw, err = server.SyscallConn(); err != nil {
		t.Fatal(err)
	}
	return server, raw, client
}

// TestWriteFrame: a frame the socket takes at once is written whatever the socket's deadline (an
// earlier control frame's, long past); one it cannot take at once is finished through the poller,
// in order; and one the client never reads fails at the deadline.
func TestWriteFrame(t *testing.T) {
	t.Run("past deadline", func(t *testing.T) {
		sock, raw, client := tcpPair(t)
		if err := sock.SetWriteDeadline(time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := writeFrame(sock, raw, time.Now().Add(time.Minute), []byte("hello")); err != nil {
			t.Fatalf("write with a past deadline on the socket: %v", err)
		}
		got := make([]byte, 5)
		if _, err := io.ReadFull(client, got); err != nil || string(got) != "hello" {
			t.Fatalf("read %q, %v", got, err)
		}
	})
	t.Run("slow reader", func(t *testing.T) {
		sock, raw, client := tcpPair(t)
		frame := make([]byte, 32<<20) // more than the socket buffers hold
		rand.Read(frame)
		read := make(chan []byte)
		go func() {
			b, _ := io.ReadAll(client)
			read <- b
		}()
		if err := writeFrame(sock, raw, time.Now().Add(time.Minute), frame); err != nil {
			t.Fatalf("write: %v", err)
		}
		sock.CloseWrite()
		if got := <-read; !bytes.Equal(got, frame) {
			t.Fatalf("read %d bytes, not the %d written", len(got), len(frame))
		}
	})
	t.Run("stalled reader", func(t *testing.T) {
		sock, raw, _ := tcpPair(t)
		frame := make([]byte, 32<<20)
		err := writeFrame(sock, raw, time.Now().Add(100*time.Millisecond), frame)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write to a client that does not read: %v, want a deadline error", err)
		}
	})
	t.Run("gone", func(t *testing.T) {
		sock, raw, client := tcpPair(t)
		client.SetLinger(0)
		client.Close() // a reset
		var err error
		for range 100 {
			if err = writeFrame(sock, raw, time.Now().Add(time.Second), []byte("hello")); err != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		var op *net.OpError
		if !errors.As(err, &op) || !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("write to a reset connection: %v, want a *net.OpError with ECONNRESET or EPIPE", err)
		}
	})
}

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

// tcpPair returns the two ends of a loopback TCP connection and a sockWriter of the first.
func tcpPair(t *testing.T) (server *net.TCPConn, w *sockWriter, client *net.TCPConn) {
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
	if w = newSockWriter(server); w == nil {
		t.Fatal("no sockWriter of a TCP connection")
	}
	return server, w, client
}

// TestWriteFrame: a frame the socket takes at once is written whatever the socket's deadline (an
// earlier control frame's, long past); one it cannot take at once is finished through the poller,
// in order; one the client never reads fails at the deadline; a reset connection fails; and a
// frame the socket takes at once costs no allocation (a tick writes thousands).
func TestWriteFrame(t *testing.T) {
	t.Run("past deadline", func(t *testing.T) {
		sock, w, client := tcpPair(t)
		if err := sock.SetWriteDeadline(time.Now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := w.write([]byte("hello"), time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("write with a past deadline on the socket: %v", err)
		}
		got := make([]byte, 5)
		if _, err := io.ReadFull(client, got); err != nil || string(got) != "hello" {
			t.Fatalf("read %q, %v", got, err)
		}
	})
	t.Run("slow reader", func(t *testing.T) {
		sock, w, client := tcpPair(t)
		frame := make([]byte, 32<<20) // more than the socket buffers hold
		rand.Read(frame)
		read := make(chan []byte)
		go func() {
			b, _ := io.ReadAll(client)
			read <- b
		}()
		if err := w.write(frame, time.Now().Add(time.Minute)); err != nil {
			t.Fatalf("write: %v", err)
		}
		sock.CloseWrite()
		if got := <-read; !bytes.Equal(got, frame) {
			t.Fatalf("read %d bytes, not the %d written", len(got), len(frame))
		}
	})
	t.Run("stalled reader", func(t *testing.T) {
		_, w, _ := tcpPair(t)
		frame := make([]byte, 32<<20)
		err := w.write(frame, time.Now().Add(100*time.Millisecond))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write to a client that does not read: %v, want a deadline error", err)
		}
	})
	t.Run("gone", func(t *testing.T) {
		_, w, client := tcpPair(t)
		client.SetLinger(0)
		client.Close() // a reset
		var err error
		for range 100 {
			if err = w.write([]byte("hello"), time.Now().Add(time.Second)); err != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		var op *net.OpError
		if !errors.As(err, &op) || !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("write to a reset connection: %v, want a *net.OpError with ECONNRESET or EPIPE", err)
		}
	})
	t.Run("no allocation", func(t *testing.T) {
		_, w, client := tcpPair(t)
		go io.Copy(io.Discard, client)
		frame, deadline := []byte("hello"), time.Now().Add(time.Minute)
		if n := testing.AllocsPerRun(100, func() {
			if err := w.write(frame, deadline); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%v allocations a frame the socket takes at once, want 0", n)
		}
	})
}

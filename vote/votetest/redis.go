package votetest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Test Redis servers: timing and environment.
const (
	redisStartWait = 10 * time.Second // until a started redis-server answers PING
	redisStopWait  = 10 * time.Second // until a SIGTERM'd redis-server exits (then SIGKILL)
	clusterWait    = 30 * time.Second // until a new cluster reports cluster_state:ok

	envRedis        = "LIVEVOTE_TEST_REDIS"    // a redis:// URL every test may share
	envRequireRedis = "LIVEVOTE_REQUIRE_REDIS" // "1": a missing redis-server fails instead of skipping
)

// RedisURL returns the redis:// URL of a Redis for the test: LIVEVOTE_TEST_REDIS when set (shared
// by every test, which is fine because test polls have unique ids), else a private redis-server
// started for the test (see StartRedis). Without redis-server the test is skipped, or fails when
// LIVEVOTE_REQUIRE_REDIS=1.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	if u := os.Getenv(envRedis); u != "" {
		return u
	}
	return StartRedis(tb).URL()
}

// RedisServer is a redis-server process of one test, on a loopback port with its own directory.
// Its methods are safe for concurrent use.
type RedisServer struct {
	tb   testing.TB
	bin  string
	port int
	dir  string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// StartRedis starts a private redis-server on a free loopback port with a temporary directory,
// waits until it answers PING and stops it when the test ends. The defaults are
// --port N --bind 127.0.0.1 --dir DIR --save "" --appendonly no; args are appended to them, and a
// later option wins (e.g. "--appendonly", "yes", "--appendfsync", "always"). Without redis-server
// the test is skipped, or fails when LIVEVOTE_REQUIRE_REDIS=1.
func StartRedis(tb testing.TB, args ...string) *RedisServer {
	tb.Helper()
	return startRedis(tb, false, args)
}

// startRedis starts a server on a free port, and with a free cluster bus port (port+10000) when
// bus is set; it retries with another port when it lost a race for the port.
func startRedis(tb testing.TB, bus bool, args []string) *RedisServer {
	tb.Helper()
	bin := lookRedis(tb, "redis-server")
	s := &RedisServer{tb: tb, bin: bin, dir: tb.TempDir(), args: args}
	tb.Cleanup(s.Kill)
	var err error
	for range 5 {
		if s.port, err = freePort(bus); err != nil {
			break
		}
		if err = s.start(); err == nil {
			return s
		}
	}
	tb.Fatalf("start redis-server: %v", err)
	return nil
}

// lookRedis finds a Redis program or skips the test (fails with LIVEVOTE_REQUIRE_REDIS=1).
func lookRedis(tb testing.TB, name string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv(envRequireRedis) == "1" {
		tb.Fatalf("%s not found and %s=1", name, envRequireRedis)
	}
	tb.Skipf("%s not found in PATH: install Redis to run this test (%s=1 makes this a failure)", name, envRequireRedis)
	return ""
}

// freePort returns a loopback port nobody listens on; with bus, port+10000 is free too.
func freePort(bus bool) (int, error) {
	if !bus {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port, nil
	}
	for range 100 {
		port := 20000 + rand.IntN(20000) // bus port 30000-49999
		if listenable(port) && listenable(port+10000) {
			return port, nil
		}
	}
	return 0, errors.New("no free port pair for a cluster node")
}

func listenable(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// Addr returns host:port of the server.
func (s *RedisServer) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL returns the redis:// URL of the server.
func (s *RedisServer) URL() string { return "redis://" + s.Addr() + "/0" }

// Dir returns the server's directory (AOF, cluster config, log).
func (s *RedisServer) Dir() string { return s.dir }

// Start starts the server again on the same port and directory (so AOF data comes back) and waits
// until it answers PING. It does nothing when the server runs.
func (s *RedisServer) Start() {
	s.tb.Helper()
	if err := s.start(); err != nil {
		s.tb.Fatalf("restart redis-server: %v", err)
	}
}

// StartLoading is Start, but returns as soon as the server answers at all: PONG, or LOADING while
// it still reads its data from its directory (a large data set, or one slowed down by the
// server's --key-load-delay).
func (s *RedisServer) StartLoading() {
	s.tb.Helper()
	if err := s.launch(true); err != nil {
		s.tb.Fatalf("restart redis-server: %v", err)
	}
}

func (s *RedisServer) start() error { return s.launch(false) }

// launch starts the server and waits until it answers PING with PONG, or with LOADING too when
// loading is set.
func (s *RedisServer) launch(loading bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	logPath := filepath.Join(s.dir, "redis.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close()
	args := append([]string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", "no"}, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	deadline := time.Now().Add(redisStartWait)
	for {
		reply, err := redisDo(s.Addr(), "PING")
		if err == nil && reply == "PONG" || loading && err != nil && strings.HasPrefix(err.Error(), "LOADING ") {
			s.cmd, s.done = cmd, done
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server on port %d exited: %s", s.port, tail(logPath))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server on port %d did not answer PING within %s (last: %q, %v): %s",
				s.port, redisStartWait, reply, err, tail(logPath))
		}
	}
}

// tail returns the end of a log file, for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	b = bytes.TrimSpace(b)
	if len(b) > 1000 {
		b = b[len(b)-1000:]
	}
	return string(b)
}

// Kill kills the server at once (SIGKILL, like a crash) and waits until it is gone. It does
// nothing when the server is not running.
func (s *RedisServer) Kill() { s.stop(syscall.SIGKILL) }

// Stop shuts the server down (SIGTERM: Redis finishes its AOF) and waits until it is gone.
func (s *RedisServer) Stop() { s.stop(syscall.SIGTERM) }

// Pause freezes the server (SIGSTOP) like a hung host or a network partition: connections are
// still accepted by the kernel, but nothing answers until Resume.
func (s *RedisServer) Pause() { s.signal(syscall.SIGSTOP) }

// Resume lets a paused server go on (SIGCONT); it then works through what it was sent meanwhile.
func (s *RedisServer) Resume() { s.signal(syscall.SIGCONT) }

func (s *RedisServer) signal(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

func (s *RedisServer) stop(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(sig)
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused server acts on SIGTERM only once it runs
	select {
	case <-s.done:
	case <-time.After(redisStopWait):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd, s.done = nil, nil
}

// StartLoadingRedis starts a private redis-server (as StartRedis) that is still loading its data
// when it returns, as after a restart with a large AOF: it holds 5,000 keys, each read back at
// start with a delay of 100 us (--key-load-delay), so that it answers LOADING for about a second
// before it answers anything else.
func StartLoadingRedis(tb testing.TB) *RedisServer {
	tb.Helper()
	s := StartRedis(tb, "--key-load-delay", "100", "--loading-process-events-interval-bytes", "1024")
	fill := "for i = 1, 5000 do redis.call('SET', 'k' .. i, 'v') end return redis.status_reply('OK')"
	for _, cmd := range [][]string{{"EVAL", fill, "0"}, {"SAVE"}} {
		if _, err := redisDo(s.Addr(), cmd...); err != nil {
			tb.Fatalf("redis %s: %v", cmd[0], err)
		}
	}
	s.Stop()
	s.StartLoading()
	if _, err := redisDo(s.Addr(), "PING"); err == nil || !strings.HasPrefix(err.Error(), "LOADING ") {
		tb.Fatalf("redis-server answers PING with %v once restarted, want LOADING", err)
	}
	return s
}

// StartRedisCluster starts a Redis Cluster of three masters on loopback (private redis-servers,
// stopped when the test ends), waits until it reports cluster_state:ok and returns its spec for
// redisstore.Open: "127.0.0.1:a,127.0.0.1:b,127.0.0.1:c". Without redis-server or redis-cli the
// test is skipped, or fails when LIVEVOTE_REQUIRE_REDIS=1.
func StartRedisCluster(tb testing.TB) string {
	tb.Helper()
	cli := lookRedis(tb, "redis-cli")
	var addrs []string
	for range 3 {
		s := startRedis(tb, true, []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000"})
		addrs = append(addrs, s.Addr())
	}
	create := exec.Command(cli, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-yes")...)
	if out, err := create.CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(clusterWait)
	for _, a := range addrs {
		for {
			info, err := redisDo(a, "CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("redis cluster node %s not ok within %s: %v\n%s", a, clusterWait, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return strings.Join(addrs, ",")
}

// redisDo sends one command on a new connection and returns a simple or bulk string reply.
// It is enough for PING and CLUSTER INFO, and keeps this helper free of a client library.
func redisDo(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	var req bytes.Buffer
	fmt.Fprintf(&req, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.Write(req.Bytes()); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "", fmt.Errorf("bulk reply %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

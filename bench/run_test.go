// Package bench_test checks that bench/run.sh stops quickly and says why when a process it starts
// cannot start, instead of waiting for it forever.
package bench_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runFailing runs bench/run.sh with the extra environment env and returns its stderr; it fails the
// test unless the script exits non-zero within 20 s.
func runFailing(t *testing.T, env ...string) string {
	t.Helper()
	for _, tool := range []string{"bash", "redis-server", "redis-cli", "jq", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("LIVEVOTE_REQUIRE_REDIS") != "" {
				t.Fatalf("%s is needed: %v", tool, err)
			}
			t.Skipf("%s is needed: %v", tool, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "run.sh", t.TempDir())
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // on a timeout, stop what the script started too
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("bench/run.sh still running after %s; stderr:\n%s", time.Since(start).Round(time.Millisecond), stderr.String())
	}
	if ee, ok := errors.AsType[*exec.ExitError](err); !ok || ee.ExitCode() == 0 {
		t.Fatalf("bench/run.sh: %v, want a non-zero exit; stderr:\n%s", err, stderr.String())
	}
	t.Logf("exited in %s", time.Since(start).Round(time.Millisecond))
	return stderr.String()
}

// takenPort listens on a loopback port for the test's duration and returns it.
func takenPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func wantAll(t *testing.T, stderr string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
}

func TestRunStopsWhenRedisCannotBind(t *testing.T) {
	stderr := runFailing(t, "REDIS_PORT="+takenPort(t))
	wantAll(t, stderr, "bench: redis-server exited as it started", "Address already in use")
}

func TestRunStopsWhenTheServerExits(t *testing.T) {
	port := takenPort(t)
	// A stand-in for a server that cannot bind its port (building the real one takes longer than
	// this test may): it says so and exits, as livevote does.
	fake := filepath.Join(t.TempDir(), "livevote")
	script := "#!/bin/sh\necho \"livevote: listen tcp 127.0.0.1:" + port + ": bind: address already in use\" >&2\nexit 1\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	stderr := runFailing(t, "SERVER_PORT="+port, "SERVER_BIN="+fake)
	wantAll(t, stderr, "bench: the server exited as it started (status 1)", "address already in use")
}

// Package deploy_test checks the deployment files (compose.yaml, the Dockerfile, deploy/, the
// operator's guide) against the program and runs what can run here: the compose stack's own nginx
// configuration with Debian's nginx in front of two livevote instances on one Redis, and promtool
// on the compose stack's Prometheus configuration.
package deploy_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// root is the repository root, relative to this package's directory.
const root = ".."

// startWait bounds how long a started program may take to listen.
const startWait = 20 * time.Second

// tool finds a program the deployment uses (nginx, promtool) or skips the test; with
// require set to "1" in the environment (as in CI, .ci/run) a missing program fails instead.
// Debian installs nginx in /usr/sbin, which a user's PATH may lack.
func tool(t *testing.T, name, require string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join("/usr/sbin", name); isExecutable(p) {
		return p
	}
	if os.Getenv(require) == "1" {
		t.Fatalf("%s not found and %s=1", name, require)
	}
	t.Skipf("%s not found: install it to run this test (%s=1 makes this a failure)", name, require)
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// binary builds the livevote program once for the package's tests and returns its path.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "livevote-deploy-test-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "livevote")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func TestMain(m *testing.M) {
	code := m.Run()
	if bin, err := binary(); err == nil {
		os.RemoveAll(filepath.Dir(bin))
	}
	os.Exit(code)
}

func mustBinary(t *testing.T) string {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// instance is a livevote process started for a test.
type instance struct {
	URL     string // its public listener, http://127.0.0.1:port
	Metrics string // its metrics listener, http://127.0.0.1:port
	Stop    func() // SIGTERM, as a container engine stops it, and wait until it has exited
}

var (
	servingLine = regexp.MustCompile(`serving \d+ poll\(s\) on http://(\S+)`)
	metricsLine = regexp.MustCompile(`metrics on http://(\S+)/metrics`)
)

// startInstance runs the built binary with its public listener on addr (127.0.0.1:0: any free
// port) and env added to the environment, waits until it says where it serves, and stops it when
// the test ends.
func startInstance(t *testing.T, addr string, env ...string) instance {
	t.Helper()
	cmd := exec.Command(mustBinary(t), "-addr", addr, "-metrics-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), env...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	exited, stop := startProcess(t, cmd)
	deadline := time.Now().Add(startWait)
	for {
		s := out.String()
		serving, metrics := servingLine.FindStringSubmatch(s), metricsLine.FindStringSubmatch(s)
		if serving != nil && metrics != nil {
			return instance{URL: "http://" + serving[1], Metrics: "http://" + metrics[1], Stop: stop}
		}
		select {
		case <-exited:
			t.Fatalf("livevote exited:\n%s", out)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("livevote did not start within %s:\n%s", startWait, out)
		}
	}
}

// stopWait bounds how long a program may take to exit after SIGTERM before it is killed.
const stopWait = 15 * time.Second

// startProcess starts cmd and returns a channel closed once it has exited and a function that
// stops it (SIGTERM, as a container engine stops a container, then SIGKILL after stopWait) and
// waits for that; the test's end stops it too.
func startProcess(t *testing.T, cmd *exec.Cmd) (exited <-chan struct{}, stop func()) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop = sync.OnceFunc(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(stopWait):
			cmd.Process.Kill()
			<-done
		}
	})
	t.Cleanup(stop)
	return done, stop
}

// lockedBuffer is an output buffer that a process writes and a test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freePort returns a loopback TCP port nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitListening waits until something accepts connections at addr, or until the process behind
// it has exited (exited is closed then).
func waitListening(t *testing.T, addr string, exited <-chan struct{}, log func() string) {
	t.Helper()
	deadline := time.Now().Add(startWait)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("the process exited before listening on %s:\n%s", addr, log())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s after %s:\n%s", addr, startWait, log())
		}
	}
}

// readFile reads a file of the repository.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compose is what the tests read of compose.yaml.
type compose struct {
	Services map[string]service
	Networks map[string]struct {
		IPAM struct {
			Config []struct{ Subnet string }
		} `yaml:"ipam"`
	}
	Volumes map[string]any
}

type service struct {
	Image       string
	Build       any
	Command     []string
	Ports       []string
	Volumes     []string
	Environment map[string]string
	Networks    networks
	DependsOn   any    `yaml:"depends_on"`
	Healthcheck any    `yaml:"healthcheck"`
	StopGrace   string `yaml:"stop_grace_period"`
}

// attachment is a service's place on a network.
type attachment struct {
	IPv4Address string `yaml:"ipv4_address"`
}

// networks are a service's networks: a list of names or a map of attachments in compose.yaml.
type networks map[string]attachment

// UnmarshalYAML reads either form.
func (ns *networks) UnmarshalYAML(n *yaml.Node) error {
	*ns = networks{}
	if n.Kind == yaml.SequenceNode {
		var names []string
		if err := n.Decode(&names); err != nil {
			return err
		}
		for _, name := range names {
			(*ns)[name] = attachment{}
		}
		return nil
	}
	return n.Decode((*map[string]attachment)(ns))
}

// readCompose parses compose.yaml (YAML anchors and merge keys resolved, as compose does).
func readCompose(t *testing.T) compose {
	t.Helper()
	var c compose
	if err := yaml.Unmarshal(readFile(t, "compose.yaml"), &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// livevoteServices returns the names of the compose services that run livevote (those with
// LIVEVOTE_ variables), sorted.
func (c compose) livevoteServices() []string {
	var names []string
	for name, s := range c.Services {
		for k := range s.Environment {
			if strings.HasPrefix(k, "LIVEVOTE_") {
				names = append(names, name)
				break
			}
		}
	}
	slices.Sort(names)
	return names
}

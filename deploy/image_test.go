package deploy_test

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestImage builds the Dockerfile's final image with Debian's buildah, offline, and runs it. The
// build stage's base image cannot be pulled here, so the test runs the build stage's own
// `go build` line (only its output path changed) on this machine, and puts the binary into an
// image FROM scratch (stricter than distroless: the binary may need nothing from the base) with
// the final stage's COPY destination, USER, EXPOSE, ENTRYPOINT, HEALTHCHECK and labels. Then it
// starts the server from the image and runs the image's HEALTHCHECK command in it: healthy while
// the server runs, unhealthy once it is gone. Without buildah it is skipped, or fails with
// LIVEVOTE_REQUIRE_IMAGE=1 (as in CI). buildah runs the container with chroot isolation: root
// is needed.
func TestImage(t *testing.T) {
	bin := tool(t, "buildah", "LIVEVOTE_REQUIRE_IMAGE")
	stages := readDockerfile(t)
	build, final := stages[0], stages[len(stages)-1]
	copyArgs := strings.Fields(final.one(t, "COPY")) // --from=build /out/livevote /livevote
	src, dst := copyArgs[1], copyArgs[2]

	dir := t.TempDir()
	var goBuild string
	for _, run := range build.all("RUN") {
		if strings.Contains(run, "go build") {
			goBuild = run
		}
	}
	out := filepath.Join(dir, "livevote")
	if !strings.Contains(goBuild, "-o "+src+" ") {
		t.Fatalf("Dockerfile: the build stage's go build %q does not write %s, which the final stage copies", goBuild, src)
	}
	cmd := exec.Command("sh", "-c", strings.Replace(goBuild, "-o "+src+" ", "-o "+out+" ", 1))
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the build stage's %s: %v\n%s", goBuild, err, b)
	}

	store := []string{"--root", filepath.Join(dir, "storage"), "--runroot", filepath.Join(dir, "run"), "--storage-driver", "vfs"}
	buildah := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, append(slices.Clone(store), args...)...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("buildah %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(stdout.String())
	}
	ctr := buildah("from", "scratch")
	buildah("copy", ctr, out, dst)
	config := []string{"config", "--user", final.one(t, "USER"), "--entrypoint", final.one(t, "ENTRYPOINT")}
	for _, p := range strings.Fields(strings.Join(final.all("EXPOSE"), " ")) {
		config = append(config, "--port", p)
	}
	hc := final.one(t, "HEALTHCHECK")
	opts, hcCmd, _ := strings.Cut(hc, "CMD ")
	// buildah takes the command as words: the exec form's arguments joined (they have no spaces).
	config = append(config, "--healthcheck", "CMD "+strings.Join(execForm(t, "HEALTHCHECK", hcCmd), " "))
	for _, o := range strings.Fields(opts) {
		config = append(config, "--healthcheck-"+strings.TrimPrefix(o, "--"))
	}
	for _, l := range dockerLabel.FindAllStringSubmatch(strings.Join(final.all("LABEL"), " "), -1) {
		config = append(config, "--label", l[1]+"="+l[2])
	}
	buildah(append(config, ctr)...)
	buildah("commit", "--format", "docker", ctr, "livevote-test")

	var inspect struct {
		Docker struct {
			Config struct {
				User         string
				ExposedPorts map[string]struct{}
				Entrypoint   []string
				Healthcheck  struct{ Test []string }
				Labels       map[string]string
			} `json:"config"`
		}
	}
	if err := json.Unmarshal([]byte(buildah("inspect", "--type", "image", "livevote-test")), &inspect); err != nil {
		t.Fatal(err)
	}
	img := inspect.Docker.Config
	public, _ := defaultPorts(t)
	var ports []string
	for p := range img.ExposedPorts {
		ports = append(ports, strings.TrimSuffix(p, "/tcp"))
	}
	if want := []string{public}; !slices.Equal(ports, want) {
		t.Errorf("the image exposes %v, want %v", ports, want)
	}
	if !slices.Equal(img.Healthcheck.Test, []string{"CMD", dst, "healthcheck"}) || !slices.Equal(img.Entrypoint, []string{dst}) ||
		img.Labels["org.opencontainers.image.title"] != "livevote" {
		t.Fatalf("the image's config: %+v", img)
	}

	// The server, from the image, with the image's user; then the healthcheck in the image.
	run := buildah("from", "livevote-test")
	port := freePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	server := exec.Command(bin, append(slices.Clone(store), "run", "--isolation", "chroot", run, "--",
		dst, "-addr", addr, "-metrics-addr", net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))))...)
	log := &lockedBuffer{}
	server.Stdout, server.Stderr = log, log
	exited, stop := startProcess(t, server)
	waitListening(t, addr, exited, log.String)
	if uid := uidOf(t, dst, addr); uid != strings.Split(img.User, ":")[0] {
		t.Errorf("the server in the image runs as uid %s, the image's USER is %s", uid, img.User)
	}

	healthcheck := func() error {
		args := append(slices.Clone(store), "run", "--isolation", "chroot", "--env", "LIVEVOTE_ADDR="+addr, run, "--")
		b, err := exec.Command(bin, append(args, img.Healthcheck.Test[1:]...)...).CombinedOutput()
		if err != nil {
			t.Logf("healthcheck: %s", b)
		}
		return err
	}
	if err := healthcheck(); err != nil {
		t.Errorf("the image's HEALTHCHECK %q with the server up: %v", img.Healthcheck.Test, err)
	}
	stop()
	if err := healthcheck(); err == nil {
		t.Errorf("the image's HEALTHCHECK %q with the server gone succeeded", img.Healthcheck.Test)
	}
}

// dockerLabel is one key="value" of a LABEL instruction.
var dockerLabel = regexp.MustCompile(`([a-z0-9.]+)="([^"]*)"`)

// uidOf returns the real uid of the process running program with -addr addr (from /proc).
func uidOf(t *testing.T, program, addr string) string {
	t.Helper()
	want := []byte(program + "\x00-addr\x00" + addr + "\x00")
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && bytes.HasPrefix(b, want) {
			status, err := os.ReadFile(filepath.Join(filepath.Dir(p), "status"))
			if err != nil {
				t.Fatal(err)
			}
			for line := range strings.Lines(string(status)) {
				if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
					return f[1]
				}
			}
		}
	}
	t.Fatalf("no process %s -addr %s", program, addr)
	return ""
}

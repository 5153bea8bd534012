package deploy_test

import (
	"encoding/json"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// instruction is one instruction of a Dockerfile, continuation lines joined.
type instruction struct {
	Cmd  string // upper case: FROM, RUN, ...
	Args string
}

// stage is one build stage: its FROM line and what follows it.
type stage struct {
	From, Name string
	Body       []instruction
}

// readDockerfile parses the Dockerfile into stages (comments and ARGs before the first FROM
// dropped).
func readDockerfile(t *testing.T) []stage {
	t.Helper()
	var stages []stage
	var cont string
	for line := range strings.Lines(string(readFile(t, "Dockerfile"))) {
		line = strings.TrimSpace(line)
		if cont == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cont += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line, cont = cont+line, ""
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.Cmd == "FROM" {
			f := strings.Fields(in.Args)
			s := stage{From: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.Name = f[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) > 0 {
			stages[len(stages)-1].Body = append(stages[len(stages)-1].Body, in)
		}
	}
	return stages
}

// all returns the arguments of every instruction cmd of the stage.
func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.Body {
		if in.Cmd == cmd {
			out = append(out, in.Args)
		}
	}
	return out
}

// one returns the arguments of the stage's only instruction cmd, failing the test otherwise.
func (s stage) one(t *testing.T, cmd string) string {
	t.Helper()
	all := s.all(cmd)
	if len(all) != 1 {
		t.Fatalf("Dockerfile: the final stage has %d %s instructions, want 1", len(all), cmd)
	}
	return all[0]
}

// execForm reads a JSON array (exec form) argument of ENTRYPOINT, CMD or HEALTHCHECK CMD.
func execForm(t *testing.T, what, s string) []string {
	t.Helper()
	var argv []string
	if err := json.Unmarshal([]byte(s), &argv); err != nil {
		t.Fatalf("Dockerfile: %s %s is not in exec form (the image has no shell): %v", what, s, err)
	}
	return argv
}

var flagDefault = regexp.MustCompile(`(?m)^\s*-(addr|metrics-addr) string\n.*\(default "([^"]*)"\)`)

// defaultPorts returns the default ports of the public and metrics listeners, from the program's
// own flag help.
func defaultPorts(t *testing.T) (public, metrics string) {
	t.Helper()
	public, metrics, _ = defaultListeners(t)
	return public, metrics
}

// defaultListeners returns the ports of the program's default listen addresses, and the host of
// the metrics listener's.
func defaultListeners(t *testing.T) (public, metrics, metricsHost string) {
	t.Helper()
	out, _ := exec.Command(mustBinary(t), "-h").CombinedOutput()
	for _, m := range flagDefault.FindAllStringSubmatch(string(out), -1) {
		host, port, _ := strings.Cut(m[2], ":")
		if m[1] == "addr" {
			public = port
		} else {
			metrics, metricsHost = port, host
		}
	}
	if public == "" || metrics == "" {
		t.Fatalf("no default -addr and -metrics-addr in livevote -h:\n%s", out)
	}
	return public, metrics, metricsHost
}

// TestDockerfile checks what no image build here can check: a Go build stage making a static
// binary, a minimal final stage with that binary only, a non-root user, both listeners exposed
// (the program's default ports), a HEALTHCHECK that runs without a shell, OCI labels, and a
// .dockerignore that keeps secrets out and the sources in.
func TestDockerfile(t *testing.T) {
	stages := readDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a build stage and a final stage", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.From, "golang:") || build.Name == "" {
		t.Errorf("Dockerfile: the first stage is FROM %s AS %q, want a named golang stage", build.From, build.Name)
	}
	var goBuild string
	for _, run := range build.all("RUN") {
		if strings.Contains(run, "go build") {
			goBuild = run
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-tags timetzdata", "-o /"} {
		if !strings.Contains(goBuild, want) {
			t.Errorf("Dockerfile: the build stage's go build %q lacks %q", goBuild, want)
		}
	}
	if !strings.HasPrefix(final.From, "gcr.io/distroless/static") && final.From != "scratch" {
		t.Errorf("Dockerfile: the final stage is FROM %s, want distroless static or scratch", final.From)
	}
	if run := final.all("RUN"); len(run) > 0 {
		t.Errorf("Dockerfile: the final stage runs %q: it has no shell", run)
	}
	copyArgs := strings.Fields(final.one(t, "COPY"))
	if len(copyArgs) != 3 || copyArgs[0] != "--from="+build.Name {
		t.Fatalf("Dockerfile: the final stage copies %q, want the binary from the build stage only", copyArgs)
	}
	bin := copyArgs[2]

	user := strings.Split(final.one(t, "USER"), ":")
	if uid, err := strconv.Atoi(user[0]); err != nil || uid == 0 {
		t.Errorf("Dockerfile: USER %s, want a numeric non-root user", user[0])
	}
	// Issue 24: the metrics listener (whose held and auto-released series tell a farm whether it
	// is held) defaulted to every interface and the image exposed it. It listens on loopback
	// unless told (compose.yaml gives each instance its back-network address), and the image
	// exposes the public listener only.
	public, _, metricsHost := defaultListeners(t)
	if metricsHost != "127.0.0.1" {
		t.Errorf("livevote -h: the metrics listener's default host is %q, want 127.0.0.1", metricsHost)
	}
	exposed := strings.Fields(strings.Join(final.all("EXPOSE"), " "))
	if !slices.Equal(exposed, []string{public}) {
		t.Errorf("Dockerfile: EXPOSE %v, want the public listener's default port only [%s]", exposed, public)
	}
	if got := execForm(t, "ENTRYPOINT", final.one(t, "ENTRYPOINT")); !slices.Equal(got, []string{bin}) {
		t.Errorf("Dockerfile: ENTRYPOINT %q, want [%q]", got, bin)
	}
	hc := final.one(t, "HEALTHCHECK")
	_, argv, ok := strings.Cut(hc, "CMD ")
	if !ok || !slices.Equal(execForm(t, "HEALTHCHECK", argv), []string{bin, "healthcheck"}) {
		t.Errorf("Dockerfile: HEALTHCHECK %s, want CMD [%q, \"healthcheck\"]", hc, bin)
	}
	labels := strings.Join(final.all("LABEL"), " ")
	for _, l := range []string{"title", "description", "source", "version", "revision"} {
		if !strings.Contains(labels, "org.opencontainers.image."+l+"=") {
			t.Errorf("Dockerfile: no OCI label org.opencontainers.image.%s", l)
		}
	}

	ignore := dockerignore(t)
	for _, secret := range []string{".env", ".git"} {
		if !ignore(secret) {
			t.Errorf(".dockerignore does not keep %s out of the build context", secret)
		}
	}
	for _, f := range buildInputs(t) {
		if ignore(f) {
			t.Errorf(".dockerignore keeps %s out of the build context; the build needs it", f)
		}
	}
}

// dockerignore returns whether .dockerignore excludes a path of the build context (its patterns,
// "!" exceptions and matching a parent directory, as Docker reads them; no "**" is used).
func dockerignore(t *testing.T) func(string) bool {
	t.Helper()
	var patterns []string
	for line := range strings.Lines(string(readFile(t, ".dockerignore"))) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	return func(p string) bool {
		excluded := false
		for _, pat := range patterns {
			neg := strings.HasPrefix(pat, "!")
			pat = strings.TrimPrefix(strings.TrimPrefix(pat, "!"), "/")
			for dir := p; dir != "."; dir = path.Dir(dir) {
				if ok, _ := path.Match(pat, dir); ok {
					excluded = !neg
					break
				}
			}
		}
		return excluded
	}
}

// buildInputs lists the files `go build .` reads: go.mod, go.sum, and the Go and embedded files
// of the program's packages in this module, relative to the root.
func buildInputs(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f",
		`{{if .Module}}{{if .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{range .EmbedFiles}}{{$d}}/{{.}}{{"\n"}}{{end}}{{end}}{{end}}`, ".")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	top, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	prefix := strings.TrimSpace(string(top)) + "/"
	files := []string{"go.mod", "go.sum"}
	for _, f := range strings.Fields(string(out)) {
		files = append(files, strings.TrimPrefix(f, prefix))
	}
	if len(files) < 10 {
		t.Fatalf("go list found only %v", files)
	}
	return files
}

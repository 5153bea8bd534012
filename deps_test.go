package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The domain (vote), the fraud checks and the hub (hub/hubws, its handler on Fiber, aside) know
// nothing of Redis, of the web framework or of ballot files: the packages they depend on, standard library included, name no go-redis,
// Fiber, fasthttp or YAML package.
func TestDomainDependencies(t *testing.T) {
	forbidden := []string{"github.com/redis/", "github.com/gofiber/", "github.com/valyala/fasthttp", "github.com/fasthttp/", "yaml"}
	for _, pkg := range []string{"./vote", "./fraud", "./hub"} {
		deps := goListDeps(t, pkg)
		if len(deps) < 10 {
			t.Fatalf("go list -deps %s: %d packages, want the standard library's at least: %q", pkg, len(deps), deps)
		}
		for _, d := range deps {
			for _, f := range forbidden {
				if strings.Contains(d, f) {
					t.Errorf("%s depends on %s", pkg, d)
				}
			}
		}
	}
}

// loadTool are the packages of the load generator (cmd/loadtest) and its API client, which the
// server binary must not contain: they are a separate program (the client serves it and the
// tests).
var loadTool = []string{
	"github.com/livevote/livevote/cmd/loadtest",
	"github.com/livevote/livevote/internal/loadtest",
	"github.com/livevote/livevote/internal/apiclient",
}

// TestBinaryHasNoLoadTool checks that the server program (this package) does not link the load
// tool, with the go command's own dependency list. So that the check cannot pass by listing
// nothing, it also wants the server in the list, and the tool in the load tool's list.
func TestBinaryHasNoLoadTool(t *testing.T) {
	server := goListDeps(t, ".")
	if !slices.Contains(server, "github.com/livevote/livevote/server") {
		t.Fatalf("go list -deps . names no server package: %q", server)
	}
	for _, p := range loadTool {
		if slices.Contains(server, p) {
			t.Errorf("the server binary contains %s: the load tool is a program of its own (cmd/loadtest)", p)
		}
	}
	if tool := goListDeps(t, "./cmd/loadtest"); !slices.Contains(tool, loadTool[1]) {
		t.Errorf("go list -deps ./cmd/loadtest names no %s: %q", loadTool[1], tool)
	}
}

// goListDeps is `go list -deps pkg`: every package pkg's binary links (tests excluded).
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the check needs the go command: %v", err)
	}
	out, err := exec.Command(goCmd, "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// module is the module's path, the prefix of its packages.
const module = "github.com/livevote/livevote"

// TestWiringDeps holds the wiring's boundaries: one package (internal/app) builds and starts
// the program's parts, and only the program (this package) and the tests' starter
// (internal/servertest) use it; the HTTP layer (server) neither imports it nor any store
// implementation (it gets its store, as an interface, from the app); access (server/access)
// knows only the domain's types; no package of the program but the app opens a store
// implementation; fraud is in one room: the domain (vote) does not know it (the booth asks it
// through vote.Judge), fraud knows no package of the module but vote, and the HTTP layer holds
// no fraud logic: it uses package fraud only through its Checks (serverFraudUses); only the Redis
// store imports the Redis client. Tests are
// free: a test may build any part.
func TestWiringDeps(t *testing.T) {
	app, stores := module+"/internal/app", []string{module + "/vote/memstore", module + "/vote/redisstore"}
	for _, d := range goListDeps(t, "./server") {
		if d == app || slices.Contains(stores, d) {
			t.Errorf("the HTTP layer (server) depends on %s: it is given its parts by the app", d)
		}
	}
	for _, d := range goListDeps(t, "./server/access") {
		if strings.HasPrefix(d, module+"/") && d != module+"/vote" && d != module+"/server/access" {
			t.Errorf("server/access depends on %s: it knows the request and the domain's types only", d)
		}
	}
	for _, d := range goListDeps(t, "./server/wire") {
		if strings.HasPrefix(d, module+"/") && d != module+"/vote" && d != module+"/server/access" && d != module+"/server/wire" {
			t.Errorf("server/wire depends on %s: it reads the API's bodies into the access and domain types only", d)
		}
	}
	fraudPkg := module + "/fraud"
	if slices.Contains(goListDeps(t, "./vote"), fraudPkg) {
		t.Errorf("the domain (vote) depends on %s: the booth asks the fraud checks through vote.Judge", fraudPkg)
	}
	for _, d := range goListDeps(t, "./fraud") {
		if strings.HasPrefix(d, module+"/") && d != module+"/vote" && d != fraudPkg {
			t.Errorf("fraud depends on %s: it knows the domain only", d)
		}
	}
	for _, use := range packageUses(t, "./server", "fraud") {
		if !slices.Contains(serverFraudUses, use) {
			t.Errorf("the HTTP layer (server) uses fraud.%s: fraud logic lives in package fraud, the server asks its Checks", use)
		}
	}
	imports := goListImports(t)
	if !slices.Contains(imports[module], app) || !slices.Contains(imports[app], stores[0]) {
		t.Fatalf("go list: the program does not import %s, or it no %s: %v", app, stores[0], imports[module])
	}
	for pkg, imps := range imports {
		if slices.Contains(imps, app) && pkg != module && pkg != module+"/internal/servertest" {
			t.Errorf("%s imports %s: only the program and internal/servertest start the app", pkg, app)
		}
		for _, s := range stores {
			if slices.Contains(imps, s) && pkg != app {
				t.Errorf("%s imports %s: only the app opens a store", pkg, s)
			}
		}
		if slices.Contains(imps, goRedis) && pkg != stores[1] {
			t.Errorf("%s imports %s: only the Redis store speaks to Redis (monitoring reads the pool through Options.Pool)", pkg, goRedis)
		}
	}
}

// goRedis is the Redis client; of the program's packages only the Redis store imports it.
const goRedis = "github.com/redis/go-redis/v9"

// TestHubDeps holds the live path's boundaries: the hub owns its socket, so that of the server
// program's packages the hub's handler (hub/hubws) alone imports the WebSocket library
// (fasthttp/websocket; gofiber/contrib/websocket, its Fiber wrapper, no longer), never the server, which decides
// who a request is and mounts the handler (the load tool, a program of its own, dials with it);
// the hub's scheduling (hub/internal/...) is the hub's own, imported by package hub only
// (Go's internal rule would let hub/hubws in too), and knows nothing of the module.
func TestHubDeps(t *testing.T) {
	const handler, internal = module + "/hub/hubws", module + "/hub/internal/"
	socket := []string{"github.com/fasthttp/websocket", "github.com/gofiber/contrib/websocket"}
	imports, program := goListImports(t), goListDeps(t, ".")
	if !slices.Contains(imports[handler], socket[0]) || !slices.Contains(imports[module+"/hub"], internal+"sched") {
		t.Fatalf("go list: %s does not import %s, or hub no %ssched: the check would check nothing", handler, socket[0], internal)
	}
	for pkg, imps := range imports {
		for _, imp := range imps {
			switch {
			case slices.Contains(socket, imp) && pkg != handler && slices.Contains(program, pkg):
				t.Errorf("%s imports %s: only the hub's handler (%s) holds the socket", pkg, imp, handler)
			case strings.HasPrefix(imp, internal) && pkg != module+"/hub":
				t.Errorf("%s imports %s: only package hub uses its scheduling", pkg, imp)
			case strings.HasPrefix(pkg, internal) && strings.Contains(imp, "."):
				t.Errorf("%s imports %s: the hub's scheduling imports the standard library only", pkg, imp)
			}
		}
	}
}

// TestPagesDeps holds the pages' boundary: server/pages knows the request, the domain (vote), who
// the request is (server/access) and its files (static), never the API (server) that mounts it,
// which it reaches through an interface; and the server reaches the files only through it.
func TestPagesDeps(t *testing.T) {
	pages := module + "/server/pages"
	allowed := []string{module + "/vote", module + "/server/access", module + "/static", pages}
	for _, d := range goListDeps(t, "./server/pages") {
		if strings.HasPrefix(d, module+"/") && !slices.Contains(allowed, d) {
			t.Errorf("server/pages depends on %s: it knows the request, vote, server/access and static only", d)
		}
	}
	imports := goListImports(t)
	if !slices.Contains(imports[module+"/server"], pages) {
		t.Fatalf("go list: server does not import %s: %v", pages, imports[module+"/server"])
	}
	if slices.Contains(imports[module+"/server"], module+"/static") {
		t.Errorf("server imports static: the pages' files are served by server/pages")
	}
}

// TestLogDeps holds the log's boundary: the log owns its HTTP protocol (translog/logweb), which
// knows the domain (vote) and the log (translog) only, never the server that mounts it; and the
// server answers nothing of the log itself: of package translog it names only the sequencer it
// is given and the head an export reads to (serverLogUses), proofs and checkpoints are logweb's.
func TestLogDeps(t *testing.T) {
	logweb := module + "/translog/logweb"
	allowed := []string{module + "/vote", module + "/translog", logweb}
	for _, d := range goListDeps(t, "./translog/logweb") {
		if strings.HasPrefix(d, module+"/") && !slices.Contains(allowed, d) {
			t.Errorf("translog/logweb depends on %s: it knows vote and translog only", d)
		}
	}
	if !slices.Contains(goListImports(t)[module+"/server"], logweb) {
		t.Fatalf("go list: server does not import %s: the check would check nothing", logweb)
	}
	for _, use := range packageUses(t, "./server", "translog") {
		if !slices.Contains(serverLogUses, use) {
			t.Errorf("the HTTP layer (server) uses translog.%s: the log's answers are translog/logweb's", use)
		}
	}
}

// serverLogUses are the names of package translog that the HTTP layer may use.
var serverLogUses = []string{"Sequencer", "Head"}

// goListImports is every package of the module with the packages it imports (tests excluded).
func goListImports(t *testing.T) map[string][]string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the check needs the go command: %v", err)
	}
	out, err := exec.Command(goCmd, "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	imports := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			imports[f[0]] = f[1:]
		}
	}
	return imports
}

// serverFraudUses are the names of package fraud that the HTTP layer may use: the checks, and the
// two things its handlers read a request or the pages' constants with.
var serverFraudUses = []string{"Checks", "ParseSubnet", "MaxTrusted", "SeverityOf"}

// packageUses returns the names of package name (as its files import it, unrenamed) that the Go
// files of package dir use (tests excluded), each once.
func packageUses(t *testing.T, dir, name string) []string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the check needs the go command: %v", err)
	}
	out, err := exec.Command(goCmd, "list", "-f", "{{.Dir}} {{join .GoFiles \" \"}}", dir).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", dir, err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 {
		t.Fatalf("go list %s: no Go files: %q", dir, out)
	}
	var uses []string
	fset := token.NewFileSet()
	for _, file := range f[1:] {
		syntax, err := parser.ParseFile(fset, filepath.Join(f[0], file), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(syntax, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == name && !slices.Contains(uses, sel.Sel.Name) {
					uses = append(uses, sel.Sel.Name)
				}
			}
			return true
		})
	}
	if len(uses) == 0 {
		t.Fatalf("%s uses nothing of %s: the check reads the wrong files", dir, name)
	}
	return uses
}

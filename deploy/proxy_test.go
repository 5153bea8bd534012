package deploy_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/livevote/livevote/vote/votetest"
)

// Loopback addresses of the proxy test: nginx and the instances listen on 127.0.0.1 (so the
// instances trust 127.0.0.1 as their proxy); the voters connect from other loopback addresses, so
// that livevote can only learn theirs from nginx's X-Forwarded-For.
const (
	proxyAddr = "127.0.0.1"
	voterA    = "127.0.0.2"
	voterB    = "127.0.0.3"
)

// liveWait bounds how long a dashboard may wait for a snapshot that shows a ballot.
const liveWait = 10 * time.Second

// TestProxy runs the compose stack's nginx configuration (deploy/nginx.conf, with only the
// upstream servers and the listen port replaced) with the real nginx in front of two livevote
// instances on one private Redis, and checks through it: a ballot with a proof of work, the
// voter's address as livevote sees it (nginx's X-Forwarded-For believed, a client's own not), a
// live dashboard over a WebSocket, /metrics not served, and each instance's /readyz and
// `livevote healthcheck`. Without nginx it is skipped, or fails with LIVEVOTE_REQUIRE_PROXY=1.
func TestProxy(t *testing.T) {
	nginx := tool(t, "nginx", "LIVEVOTE_REQUIRE_PROXY")
	env := instanceEnv(t)
	instances := []instance{startInstance(t, "127.0.0.1:0", env...), startInstance(t, "127.0.0.1:0", env...)}

	for _, in := range instances {
		res, err := http.Get(in.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s/readyz = %s", in.URL, res.Status)
		}
		// The image's HEALTHCHECK command, against the instance.
		if out, err := exec.Command(mustBinary(t), "healthcheck", "-addr", strings.TrimPrefix(in.URL, "http://")).CombinedOutput(); err != nil {
			t.Errorf("livevote healthcheck of %s: %v\n%s", in.URL, err, out)
		}
	}

	proxy, accessFile := startNginx(t, nginx, instances)
	a, b := newVoter(t, proxy, voterA), newVoter(t, proxy, voterB)
	poll := a.firstPoll()

	// The organiser trusts voter A's address: the signals overview then marks A's source
	// trusted, which is how this test sees which address livevote took for a voter.
	a.admin("POST", "/api/v1/admin/polls/"+poll+"/trusted", `{"subnet":"`+voterA+`/32"}`)

	dash := dialLive(t, proxy, poll, http.Header{"Sec-WebSocket-Protocol": {"livevote, livevote.bearer." + base64.RawURLEncoding.EncodeToString([]byte(adminToken))}})
	first := dash.next(t)
	if first.Tally == nil {
		t.Errorf("the organiser's live updates through the proxy (token in the subprotocol) have no tally: %+v", first)
	}

	// A votes: livevote must see A's address (nginx's X-Forwarded-For), which the organiser
	// trusts, not the proxy's.
	receipt := a.vote(poll, "a", nil)
	if code := a.get("/api/v1/receipts/" + receipt); code != http.StatusOK {
		t.Errorf("receipt through the proxy: %d", code)
	}
	a.get("/api/v1/receipts/" + receipt + "/proof")
	a.get("/receipt/" + receipt)
	// A client's X-Forwarded-Host never names the host of the QR code (issue 24).
	if code, body := a.do("GET", "/qr/"+poll+".svg", "", http.Header{"X-Forwarded-Host": {"evil.example"}}); code != http.StatusOK || strings.Contains(string(body), "evil.example") {
		t.Errorf("QR code through the proxy with a client's X-Forwarded-Host: %d %.300s", code, body)
	}
	ips := a.sources(poll)
	if len(ips) != 1 || ips[0].Ballots != 1 || !ips[0].Trusted {
		t.Fatalf("after voter A's ballot livevote saw the sources %+v; want one address, A's (trusted): "+
			"nginx must append the address it saw to X-Forwarded-For", ips)
	}
	seenA := ips[0].Hash
	// B claims to be A: a client's own X-Forwarded-For must not be believed.
	b.vote(poll, "b", http.Header{"X-Forwarded-For": {voterA}})
	ips = a.sources(poll)
	if len(ips) != 2 || ips[0].Ballots != 1 || ips[1].Ballots != 1 {
		t.Fatalf("after voter B's ballot livevote saw the sources %+v; want two addresses with a ballot each: "+
			"B's forged X-Forwarded-For was believed", ips)
	}
	for _, ip := range ips {
		if ip.Trusted != (ip.Hash == seenA) {
			t.Errorf("after voter B's ballot, which forged A's address, livevote saw the sources %+v (A: %s)", ips, seenA)
		}
	}

	// The dashboard, opened before the ballots, sees them arrive.
	deadline := time.Now().Add(liveWait)
	for msg := first; msg.Ballots < 2; msg = dash.next(t) {
		if time.Now().After(deadline) {
			t.Fatalf("the dashboard saw %d ballots after %s, want 2", msg.Ballots, liveWait)
		}
	}

	// The access log keeps addresses, never a path or a query of ours: no receipt beside the
	// address that checked it, no poll, no token (issue 24).
	accessLog, err := os.ReadFile(accessFile)
	if err != nil {
		t.Fatal(err)
	}
	logged := string(accessLog)
	if !strings.Contains(logged, voterA+" ") {
		t.Errorf("nginx's access log has no line of voter A's address:\n%s", logged)
	}
	for _, secret := range []string{receipt, poll, adminToken, "/api", "/ws", "/receipt", "/qr", "token", "?"} {
		if strings.Contains(logged, secret) {
			t.Errorf("nginx's access log names %q:\n%s", secret, logged)
		}
	}

	// The metrics are there, on the instances' metrics listeners, and not through the proxy.
	for _, url := range []string{instances[0].Metrics + "/metrics", proxy + "/metrics"} {
		res, err := a.client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		served := res.StatusCode == http.StatusOK && strings.Contains(string(body), "livevote_votes_total")
		if want := url != proxy+"/metrics"; served != want {
			t.Errorf("GET %s = %s, metrics served: %v, want %v:\n%.300s", url, res.Status, served, want, body)
		}
	}
}

// adminToken is the organiser token of the proxy tests' instances.
const adminToken = "proxy-test-token"

// instanceEnv returns the environment of the proxy tests' instances: one private Redis, a test
// poll with proof of work on (a small difficulty: the test solves it) and the fraud policy's
// holds off (Go's HTTP client is a tool: its ballots would be held, which is not what these tests
// are about), and nginx's address trusted as the proxy.
func instanceEnv(t *testing.T) []string {
	t.Helper()
	rs := votetest.StartRedis(t)
	ballot := filepath.Join(t.TempDir(), "ballot.yaml")
	if err := os.WriteFile(ballot, []byte(votetest.PollYAML("difficulty: 2000")), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"LIVEVOTE_REDIS_URL=" + rs.URL(), "LIVEVOTE_BALLOT=" + ballot, "LIVEVOTE_SECRET=proxy-test-secret",
		"LIVEVOTE_ADMIN_TOKEN=" + adminToken, "LIVEVOTE_TRUSTED_PROXIES=" + proxyAddr}
}

// upstreamServer, listenLine and accessLog are the lines of deploy/nginx.conf the proxy test
// replaces: the instances' addresses, the port nginx listens on and the access log's file (in the
// test's folder, with the same format). Nothing else is changed.
var (
	upstreamServer = regexp.MustCompile(`(?m)^(\s*server\s+)(livevote-\d+):(\d+)(\s)`)
	listenLine     = regexp.MustCompile(`(?m)^(\s*listen\s+)80;`)
	accessLog      = regexp.MustCompile(`(?m)^(\s*access_log\s+)/var/log/nginx/access\.log([\s;])`)
)

// nginxConfig returns deploy/nginx.conf with its upstream servers replaced by upstreams (in
// order) and its listen port by listen; it fails the test unless the file has exactly one
// server line per upstream and one listen line.
func nginxConfig(t *testing.T, upstreams []string, listen, logFile string) string {
	t.Helper()
	conf := string(readFile(t, "deploy/nginx.conf"))
	if n := len(upstreamServer.FindAllString(conf, -1)); n != len(upstreams) {
		t.Fatalf("deploy/nginx.conf has %d upstream servers livevote-N:port, the test runs %d instances", n, len(upstreams))
	}
	i := 0
	conf = upstreamServer.ReplaceAllStringFunc(conf, func(m string) string {
		sub := upstreamServer.FindStringSubmatch(m)
		i++
		return sub[1] + upstreams[i-1] + sub[4]
	})
	if n := len(listenLine.FindAllString(conf, -1)); n != 1 {
		t.Fatalf("deploy/nginx.conf has %d lines `listen 80;`, want 1", n)
	}
	if n := len(accessLog.FindAllString(conf, -1)); n != 1 {
		t.Fatalf("deploy/nginx.conf has %d lines `access_log /var/log/nginx/access.log ...`, want 1", n)
	}
	conf = accessLog.ReplaceAllString(conf, "${1}"+logFile+"${2}")
	return listenLine.ReplaceAllString(conf, "${1}"+listen+";")
}

// startNginx runs nginx in the foreground with deploy/nginx.conf inside the http block of a
// main configuration like the one of the nginx image, and returns its URL and the file of its
// access log (deploy/nginx.conf's).
func startNginx(t *testing.T, bin string, instances []instance) (string, string) {
	t.Helper()
	dir := t.TempDir()
	var upstreams []string
	for _, in := range instances {
		upstreams = append(upstreams, strings.TrimPrefix(in.URL, "http://"))
	}
	listen := net.JoinHostPort(proxyAddr, strconv.Itoa(freePort(t)))
	site := filepath.Join(dir, "livevote.conf")
	accessFile := filepath.Join(dir, "livevote-access.log")
	if err := os.WriteFile(site, []byte(nginxConfig(t, upstreams, listen, accessFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
%[3]s
events { %[4]s }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[2]s;
}
`, dir, site, mainLine(t, workerRlimit), mainLine(t, workerConnections))
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(main), 0o600); err != nil {
		t.Fatal(err)
	}
	log := func() string { b, _ := os.ReadFile(filepath.Join(dir, "error.log")); return string(b) }
	if out, err := exec.Command(bin, "-t", "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log")).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s\n%s", err, out, log())
	}
	exited, _ := startProcess(t, exec.Command(bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log")))
	waitListening(t, listen, exited, log)
	return "http://" + listen, accessFile
}

// The lines of deploy/nginx.main.conf (the stack's main configuration) that the proxy tests' own
// main configuration takes as they are: the sizes of issue 24.
var (
	workerRlimit      = regexp.MustCompile(`(?m)^worker_rlimit_nofile \d+;`)
	workerConnections = regexp.MustCompile(`(?m)^\s*worker_connections \d+;`)
)

// mainLine returns the one line of deploy/nginx.main.conf that re matches.
func mainLine(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	all := re.FindAllString(string(readFile(t, "deploy/nginx.main.conf")), -1)
	if len(all) != 1 {
		t.Fatalf("deploy/nginx.main.conf has %d lines %s, want 1", len(all), re)
	}
	return strings.TrimSpace(all[0])
}

// voter is a browser-like client of the proxy that connects from a loopback address of its own.
type voter struct {
	t      *testing.T
	proxy  string
	client *http.Client
}

func newVoter(t *testing.T, proxy, from string) *voter {
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	return &voter{t: t, proxy: proxy, client: &http.Client{
		Jar:       jar,
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DialContext: dialer.DialContext},
	}}
}

// send makes one request through the proxy.
func (v *voter) send(method, path, body string, header http.Header) (int, []byte, error) {
	req, err := http.NewRequest(method, v.proxy+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := v.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// do is send, failing the test when no answer comes.
func (v *voter) do(method, path, body string, header http.Header) (int, []byte) {
	v.t.Helper()
	code, b, err := v.send(method, path, body, header)
	if err != nil {
		v.t.Fatalf("%s %s through the proxy: %v", method, path, err)
	}
	return code, b
}

func (v *voter) get(path string) int {
	v.t.Helper()
	code, _ := v.do("GET", path, "", nil)
	return code
}

func (v *voter) getJSON(path string, header http.Header, out any) {
	v.t.Helper()
	code, body := v.do("GET", path, "", header)
	if code != http.StatusOK {
		v.t.Fatalf("GET %s through the proxy = %d %s", path, code, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		v.t.Fatalf("GET %s: %v", path, err)
	}
}

func (v *voter) firstPoll() string {
	v.t.Helper()
	var list struct{ Polls []struct{ ID string } }
	v.getJSON("/api/v1/polls", nil, &list)
	if len(list.Polls) == 0 {
		v.t.Fatal("no poll")
	}
	return list.Polls[0].ID
}

func (v *voter) admin(method, path, body string) {
	v.t.Helper()
	if code, b := v.do(method, path, body, http.Header{"Authorization": {"Bearer " + adminToken}}); code != http.StatusOK {
		v.t.Fatalf("%s %s = %d %s", method, path, code, b)
	}
}

// source is an address as the signals overview shows it: a keyed hash.
type source struct {
	Hash    string
	Ballots int
	Trusted bool
}

// sources returns the addresses of the poll's ballots of the last minute, as livevote saw them.
func (v *voter) sources(poll string) []source {
	v.t.Helper()
	var sig struct {
		Sources struct{ Minute struct{ IPs []source } }
	}
	v.getJSON("/api/v1/admin/polls/"+poll+"/signals", http.Header{"Authorization": {"Bearer " + adminToken}}, &sig)
	return sig.Sources.Minute.IPs
}

// vote opens the ballot (the voter cookie), fetches and solves a challenge, and casts a ballot
// for choice; it returns the receipt.
func (v *voter) vote(poll, choice string, header http.Header) string {
	v.t.Helper()
	code, receipt, err := v.cast(poll, choice, header)
	if err != nil || code != http.StatusCreated {
		v.t.Fatalf("vote through the proxy = %d %v", code, err)
	}
	return receipt
}

// cast is vote without failing the test: code is the vote's status, 0 when it was not sent or
// no answer came (err says why).
func (v *voter) cast(poll, choice string, header http.Header) (code int, receipt string, err error) {
	if _, _, err := v.send("GET", "/api/v1/polls/"+poll, "", header); err != nil {
		return 0, "", err
	}
	_, raw, err := v.send("GET", "/api/v1/polls/"+poll+"/challenge", "", header)
	if err != nil {
		return 0, "", err
	}
	var ch struct {
		Algorithm, Challenge, Salt, Signature string
		MaxNumber                             int `json:"max_number"`
	}
	if err := json.Unmarshal(raw, &ch); err != nil {
		return 0, "", fmt.Errorf("challenge %s: %w", raw, err)
	}
	n, ok := solve(ch.Salt, ch.Challenge, ch.MaxNumber)
	if !ok {
		return 0, "", fmt.Errorf("challenge %s has no solution", raw)
	}
	body, _ := json.Marshal(map[string]any{"choices": []string{choice}, "pow": map[string]any{
		"algorithm": ch.Algorithm, "challenge": ch.Challenge, "number": n, "salt": ch.Salt, "signature": ch.Signature}})
	code, res, err := v.send("POST", "/api/v1/polls/"+poll+"/votes", string(body), header)
	if err != nil {
		return 0, "", err
	}
	var r struct{ Receipt string }
	json.Unmarshal(res, &r)
	if code != http.StatusCreated {
		return code, "", fmt.Errorf("%s", res)
	}
	return code, r.Receipt, nil
}

// solve finds n in 0..max with hex(SHA-256(salt + n)) == challenge (the ALTCHA scheme, README).
func solve(salt, challenge string, max int) (int, bool) {
	for n := 0; n <= max; n++ {
		h := sha256.Sum256([]byte(salt + strconv.Itoa(n)))
		if hex.EncodeToString(h[:]) == challenge {
			return n, true
		}
	}
	return 0, false
}

// live is a dashboard's WebSocket through the proxy.
type live struct{ conn *websocket.Conn }

type snapshot struct {
	Type    string
	Seq     int
	Ballots int
	Tally   map[string]int
}

func dialLive(t *testing.T, proxy, poll string, header http.Header) *live {
	t.Helper()
	url := "ws" + strings.TrimPrefix(proxy, "http") + "/ws/polls/" + poll + "?hz=10"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, res, err := websocket.DefaultDialer.DialContext(ctx, url, header)
	if err != nil {
		status := ""
		if res != nil {
			status = res.Status
		}
		t.Fatalf("WebSocket through the proxy: %v %s (nginx must pass Upgrade and Connection on, over HTTP/1.1)", err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return &live{conn}
}

// next reads the next snapshot.
func (l *live) next(t *testing.T) snapshot {
	t.Helper()
	l.conn.SetReadDeadline(time.Now().Add(liveWait))
	var s snapshot
	if err := l.conn.ReadJSON(&s); err != nil {
		t.Fatalf("live updates through the proxy: %v", err)
	}
	if s.Type != "snapshot" {
		t.Fatalf("live update of type %q", s.Type)
	}
	return s
}

// TestProxyLiveLimits (issue 24: about 480 live connections from one address took the shipped
// nginx's worker connections): through the stack's nginx, with its worker sizes, one address
// opens its 1,000 live connections, the next is refused with 503 by the proxy, and another
// address still connects.
func TestProxyLiveLimits(t *testing.T) {
	nginx := tool(t, "nginx", "LIVEVOTE_REQUIRE_PROXY")
	env := instanceEnv(t)
	instances := []instance{startInstance(t, "127.0.0.1:0", env...), startInstance(t, "127.0.0.1:0", env...)}
	proxy, _ := startNginx(t, nginx, instances)
	poll := newVoter(t, proxy, voterA).firstPoll()
	var body []byte // of the last refusal
	dial := func(from string) (*websocket.Conn, int, error) {
		d := websocket.Dialer{NetDialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext, HandshakeTimeout: 10 * time.Second}
		conn, res, err := d.Dial("ws"+strings.TrimPrefix(proxy, "http")+"/ws/polls/"+poll+"?hz=1", nil)
		if res != nil {
			if err != nil {
				body, _ = io.ReadAll(res.Body)
			}
			return conn, res.StatusCode, err
		}
		return conn, 0, err
	}
	for i := range 1000 {
		conn, status, err := dial(voterA)
		if err != nil {
			t.Fatalf("live connection %d from one address through the proxy: %v (status %d)", i+1, err, status)
		}
		t.Cleanup(func() { conn.Close() })
	}
	if conn, status, err := dial(voterA); err == nil || status != http.StatusServiceUnavailable {
		if conn != nil {
			conn.Close()
		}
		t.Errorf("live connection 1,001 from one address: %v (status %d), want 503 from the proxy", err, status)
	} else if !strings.Contains(string(body), "nginx") {
		t.Errorf("live connection 1,001 from one address was refused by an instance, not the proxy: %s", body)
	}
	conn, status, err := dial(voterB)
	if err != nil {
		t.Fatalf("another address's live connection: %v (status %d)", err, status)
	}
	conn.Close()
}

package deploy_test

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestCompose checks compose.yaml as `docker compose config` cannot here (no Docker): its parts
// are there and agree with each other, with deploy/nginx.conf, deploy/prometheus.yml, the
// Grafana provisioning and the program's defaults.
func TestCompose(t *testing.T) {
	c := readCompose(t)
	lv := c.livevoteServices()
	if len(lv) < 2 {
		t.Fatalf("compose.yaml runs %d livevote services %v, want two or more", len(lv), lv)
	}
	proxy, redis, prom, graf := c.Services["proxy"], c.Services["redis"], c.Services["prometheus"], c.Services["grafana"]
	for name, s := range map[string]service{"proxy": proxy, "redis": redis, "prometheus": prom, "grafana": graf} {
		if s.Image == "" {
			t.Errorf("compose.yaml: no service %s with an image", name)
		}
	}
	// Every file the stack mounts exists.
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join(root, src)); err != nil {
					t.Errorf("compose.yaml: service %s mounts %s: %v", name, src, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("compose.yaml: service %s mounts the undeclared volume %s", name, src)
			}
		}
	}

	// The proxy: the compose file's nginx.conf, published; the only address the instances trust.
	if !slices.Contains(proxy.Volumes, "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro") {
		t.Errorf("compose.yaml: the proxy does not mount deploy/nginx.conf: %v", proxy.Volumes)
	}
	if !slices.Contains(proxy.Volumes, "./deploy/nginx.main.conf:/etc/nginx/nginx.conf:ro") {
		t.Errorf("compose.yaml: the proxy does not mount deploy/nginx.main.conf (its sizes): %v", proxy.Volumes)
	}
	if len(proxy.Ports) == 0 {
		t.Error("compose.yaml: the proxy publishes no port")
	}
	public, metrics := defaultPorts(t)
	var upstreams []string
	for _, m := range upstreamServer.FindAllStringSubmatch(string(readFile(t, "deploy/nginx.conf")), -1) {
		upstreams = append(upstreams, m[2])
		if m[3] != public {
			t.Errorf("deploy/nginx.conf: upstream %s:%s, but livevote listens on %s", m[2], m[3], public)
		}
	}
	if !slices.Equal(upstreams, lv) {
		t.Errorf("deploy/nginx.conf proxies to %v, compose.yaml runs %v", upstreams, lv)
	}

	var targets []string
	for _, name := range lv {
		s, env := c.Services[name], c.Services[name].Environment
		if len(s.Ports) > 0 {
			t.Errorf("compose.yaml: %s publishes %v: voters go through the proxy, Prometheus through the back network", name, s.Ports)
		}
		if s.Build == nil && s.Image == "" {
			t.Errorf("compose.yaml: %s has neither build nor image", name)
		}
		if _, port, _ := strings.Cut(env["LIVEVOTE_ADDR"], ":"); port != public {
			t.Errorf("compose.yaml: %s LIVEVOTE_ADDR=%q, want port %s (the image's EXPOSE, nginx's upstream)", name, env["LIVEVOTE_ADDR"], public)
		}
		if env["LIVEVOTE_REDIS_URL"] != "redis://redis:6379/0" {
			t.Errorf("compose.yaml: %s LIVEVOTE_REDIS_URL=%q, want the redis service", name, env["LIVEVOTE_REDIS_URL"])
		}
		for _, secret := range []string{"LIVEVOTE_SECRET", "LIVEVOTE_ADMIN_TOKEN"} {
			if !strings.HasPrefix(env[secret], "${"+secret+":?") {
				t.Errorf("compose.yaml: %s %s=%q, want it from the env file, required", name, secret, env[secret])
			}
		}
		// It trusts the proxy's address on the network they share, and nothing else.
		var proxyAddr string
		for net, at := range proxy.Networks {
			if _, shared := s.Networks[net]; shared {
				proxyAddr = at.IPv4Address
			}
		}
		if proxyAddr == "" || env["LIVEVOTE_TRUSTED_PROXIES"] != proxyAddr {
			t.Errorf("compose.yaml: %s LIVEVOTE_TRUSTED_PROXIES=%q, want the proxy's fixed address %q", name, env["LIVEVOTE_TRUSTED_PROXIES"], proxyAddr)
		}
		// Its metrics listener is bound to its address on a network Prometheus is on and the
		// proxy is not.
		host, port, _ := net.SplitHostPort(env["LIVEVOTE_METRICS_ADDR"])
		var onNet string
		for net, at := range s.Networks {
			if at.IPv4Address == host && host != "" {
				onNet = net
			}
		}
		_, promOn := prom.Networks[onNet]
		_, proxyOn := proxy.Networks[onNet]
		if onNet == "" || !promOn || proxyOn || port != metrics {
			t.Errorf("compose.yaml: %s LIVEVOTE_METRICS_ADDR=%q: want its own address on a network of Prometheus's that the proxy is not on, port %s",
				name, env["LIVEVOTE_METRICS_ADDR"], metrics)
		}
		targets = append(targets, name+":"+metrics)
	}

	// Redis: AOF on, its data on a volume, nothing evicted.
	cmd := strings.Join(redis.Command, " ")
	for _, want := range []string{"--appendonly yes", "--maxmemory-policy noeviction"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("compose.yaml: redis runs %q, want %q", cmd, want)
		}
	}
	if !slices.ContainsFunc(redis.Volumes, func(v string) bool { return strings.HasSuffix(v, ":/data") && !strings.HasPrefix(v, ".") }) {
		t.Errorf("compose.yaml: redis keeps /data on no volume: %v", redis.Volumes)
	}

	// Prometheus: the compose configuration and livevote's rules beside it, every instance a target.
	for _, want := range []string{"./deploy/prometheus.yml:/etc/prometheus/prometheus.yml:ro", "./monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro"} {
		if !slices.Contains(prom.Volumes, want) {
			t.Errorf("compose.yaml: prometheus does not mount %s", want)
		}
	}
	got := promTargets(t, readFile(t, "deploy/prometheus.yml"))
	if !slices.Equal(got, targets) {
		t.Errorf("deploy/prometheus.yml scrapes %v, want every instance's metrics listener %v", got, targets)
	}

	// Grafana: the data source and the dashboard provisioned.
	var ds struct{ Datasources []struct{ Type, URL string } }
	if err := yaml.Unmarshal(readFile(t, "deploy/grafana/datasource.yml"), &ds); err != nil || len(ds.Datasources) != 1 ||
		ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("deploy/grafana/datasource.yml: %+v, %v; want the prometheus service", ds, err)
	}
	var dp struct {
		Providers []struct{ Options struct{ Path string } }
	}
	if err := yaml.Unmarshal(readFile(t, "deploy/grafana/dashboards.yml"), &dp); err != nil || len(dp.Providers) != 1 {
		t.Fatalf("deploy/grafana/dashboards.yml: %+v, %v", dp, err)
	}
	for _, want := range []string{
		"./deploy/grafana/datasource.yml:/etc/grafana/provisioning/datasources/",
		"./deploy/grafana/dashboards.yml:/etc/grafana/provisioning/dashboards/",
		"./monitoring/grafana-dashboard.json:" + dp.Providers[0].Options.Path + "/",
	} {
		if !slices.ContainsFunc(graf.Volumes, func(v string) bool { return strings.HasPrefix(v, want) }) {
			t.Errorf("compose.yaml: grafana mounts nothing like %s...: %v", want, graf.Volumes)
		}
	}

	// Every variable compose.yaml takes from the env file is in .env.example.
	example := string(readFile(t, ".env.example"))
	for _, m := range interpolation.FindAllStringSubmatch(string(readFile(t, "compose.yaml")), -1) {
		if !regexp.MustCompile(`(?m)^` + m[1] + `=`).MatchString(example) {
			t.Errorf("compose.yaml uses ${%s}, which .env.example does not list", m[1])
		}
	}
}

var interpolation = regexp.MustCompile(`\$\{([A-Z0-9_]+)`)

// promTargets returns the static targets of a Prometheus configuration.
func promTargets(t *testing.T, conf []byte) []string {
	t.Helper()
	var p struct {
		ScrapeConfigs []struct {
			StaticConfigs []struct{ Targets []string } `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(conf, &p); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sc := range p.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			out = append(out, st.Targets...)
		}
	}
	return out
}

// TestComposePrometheusConfig: deploy/prometheus.yml is monitoring/prometheus.yml but for the
// targets, and `promtool check config` accepts it with the rules where compose mounts them.
// Without promtool the promtool part is skipped, or fails with LIVEVOTE_REQUIRE_PROMTOOL=1.
func TestComposePrometheusConfig(t *testing.T) {
	withoutTargets := func(path string) any {
		var v any
		if err := yaml.Unmarshal(promTargetsRE.ReplaceAll(readFile(t, path), nil), &v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return v
	}
	if a, b := withoutTargets("deploy/prometheus.yml"), withoutTargets("monitoring/prometheus.yml"); !reflect.DeepEqual(a, b) {
		t.Errorf("deploy/prometheus.yml differs from monitoring/prometheus.yml in more than the targets:\n%v\n%v", a, b)
	}

	bin := tool(t, "promtool", "LIVEVOTE_REQUIRE_PROMTOOL")
	// The files where the prometheus service of compose.yaml has them.
	dir := t.TempDir()
	var conf string
	for _, v := range readCompose(t).Services["prometheus"].Volumes {
		parts := strings.Split(v, ":")
		if !strings.HasPrefix(parts[0], "./") || !strings.HasPrefix(parts[1], "/etc/prometheus/") {
			continue
		}
		dst := filepath.Join(dir, strings.TrimPrefix(parts[1], "/etc/prometheus/"))
		if err := os.WriteFile(dst, readFile(t, parts[0]), 0o600); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(parts[1], "/prometheus.yml") {
			conf = dst
		}
	}
	var out bytes.Buffer
	cmd := exec.Command(bin, "check", "config", conf)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check config (compose's prometheus.yml): %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "alerts.yml") {
		t.Errorf("promtool did not check the rules:\n%s", out.String())
	}
}

// promTargetsRE matches a targets line of a static config.
var promTargetsRE = regexp.MustCompile(`(?m)^\s*- targets: \[.*\]\n`)

#!/usr/bin/env bash
# bench/run.sh: livevote's benchmark on this machine, everything on loopback.
#
# Starts its own redis-server (AOF on, fsync every second) on a free port and the server built from
# this tree with bench/ballot.yaml (why that ballot: see its comment), then measures with
# the load tool (cmd/loadtest, built beside the server), each phase with the same tool and settings:
#   1. /healthz:    the server's request rate at saturation (the ceiling of the HTTP stack here);
#   2. votes, peak: acknowledged votes/s at saturation, and its ratio to the /healthz rate;
#   3. votes, half: latency at half the peak rate;
# then, on a fresh server process and a fresh poll (Redis database 1):
#   4. hub, idle:   the server's RSS with no dashboard, then with $DASHBOARDS idle dashboards
#                   (split over two tool processes: the open-file limit is per process);
#   5. hub, live:   $DASHBOARDS dashboards at $HZ Hz while votes flow at $HUB_RATE/s: delivery
#                   latency (from the snapshot's "at" to the client), the server's CPU per
#                   delivered message, vote-to-visible;
#   6. mixed:       for each N in $MIXED_DASHBOARDS, on a fresh server process and a fresh poll, N
#                   dashboards at $HZ Hz (two tool processes) while votes arrive at $MIXED_RATE/s
#                   from a third, as phones (open loop, a new connection per vote, each timed from
#                   when it was due): vote latency p50/p90/p99, where it went (the shares of votes
#                   the server answered within 10 and 25 ms by its own clock, Redis's wall time per
#                   cast-script call), delivery p99, server CPU per delivered message, the tools'
#                   own CPU, the ticks delivered; then the plot of vote latency
#                   percentiles against N (mixed.svg, drawn by bench/plot).
# Every vote phase ends with the tool's exact accounting check (acknowledged == recorded).
#
# Usage: bench/run.sh [output directory]    (default: a new directory under /tmp)
# Settings (environment): DURATION (10s), CONNS (64), DASHBOARDS (10000), HZ (4), HUB_RATE (200),
# SATURATE (200000: the offered rate of the saturation runs), MIXED_DASHBOARDS ("1000 3000 10000 19000"),
# MIXED_RATE (500), PHASES ("all"; "mixed": phase 6 alone; "peak": phases 1 and 2 alone, with the
# ratio and Redis's INFO commandstats of the vote phase in peak-redis.txt; "rate": votes at RATE/s
# alone (default 6000), what a vote costs when it is not at the saturation; "ratio": /healthz and
# votes at saturation in alternating windows of WINDOW (3s) on one server, WINDOWS (5) of each, and
# each pair's ratio and their median: the machine's swings, which can last a phase, then reach
# both sides of a pair alike), SERVER_BIN (a livevote binary to
# measure instead of the one built from this tree: a "before"), REDIS_PORT and SERVER_PORT (loopback
# ports; default: free ones).
# Fails fast: when redis-server or the server exits or is not ready within 30 s of its start, or a
# tool process fails, the script stops everything it started and exits 1 naming the process, with
# the last lines of its log.
# The server and each tool process need one file descriptor per dashboard: N dashboards need an
# open-file limit (ulimit -n) above N + a few hundred for the server: 19,000 is the most under a
# limit of 20,000 (the development machine's, which cannot be raised there).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
DASHBOARDS=${DASHBOARDS:-10000}
HZ=${HZ:-4}
HUB_RATE=${HUB_RATE:-200}
SATURATE=${SATURATE:-200000}
MIXED_DASHBOARDS=${MIXED_DASHBOARDS:-1000 3000 10000 19000}
MIXED_RATE=${MIXED_RATE:-500}
PHASES=${PHASES:-all}
OUT=${1:-$(mktemp -d /tmp/livevote-bench.XXXXXX)}
mkdir -p "$OUT"
TOKEN=bench-organiser
SECS=${DURATION%s}

for tool in redis-server redis-cli jq curl go timeout; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is needed" >&2; exit 1; }
done

PIDS=()
declare -A LOGS # a started process's log, by process id
cleanup() {
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# free_port prints a loopback port nobody listens on, below the kernel's range of ephemeral ports:
# a port in that range can be the local end of one of the dashboards' (or anyone's) outgoing
# connections, which nobody listens on and yet a bind refuses ("address already in use").
free_port() {
	local p low=32768
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	((low > 11000)) || low=40000 # no room below them: take the chance
	while :; do
		p=$((10000 + RANDOM % (low - 10000)))
		(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
	done
}

say() { printf '\n== %s\n' "$*"; }

# fail WHAT [LOG]: stop the benchmark: the reason and the last lines of the log on stderr.
fail() {
	echo "bench: $1" >&2
	if [ -n "${2:-}" ] && [ -s "$2" ]; then tail -n 5 "$2" | sed "s|^|bench: $(basename "$2"): |" >&2; fi
	exit 1
}

# started NAME PID LOG CHECK...: wait until the command CHECK succeeds, for at most 30 s, while the
# process PID (NAME, writing LOG) lives; fail when it exits or the time is up.
started() {
	local name=$1 pid=$2 log=$3 deadline=$((SECONDS + 30)) st=0
	shift 3
	LOGS[$pid]=$log
	until "$@" >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null || st=$?
			fail "$name exited as it started (status $st)" "$log"
		fi
		((SECONDS < deadline)) || fail "$name was not ready 30 s after its start" "$log"
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null || fail "$name exited as it started (did another process answer on its port?)" "$log"
}

# tools PID...: wait for the tool processes; when one fails, fail with its output (the others are
# stopped on the way out).
tools() {
	local -A left=()
	local pid st
	for pid; do left[$pid]=1; done
	while ((${#left[@]} > 0)); do
		st=0
		wait -n -p pid "${!left[@]}" || st=$?
		unset "left[$pid]"
		((st == 0)) || fail "a tool process failed (status $st)" "${LOGS[$pid]}"
	done
}

# tool LOG ARGS...: start the load tool in the background with its output to LOG; TOOL is its id.
tool() {
	local log=$1
	shift
	"$LT" -url "$URL" -token "$TOKEN" -quiet "$@" >"$log" 2>&1 &
	TOOL=$!
	PIDS+=("$TOOL")
	LOGS[$TOOL]=$log
}

# Redis, then the server, then the tools: a process that cannot start stops the run before the
# slower builds.
REDIS_PORT=${REDIS_PORT:-$(free_port)}
rm -rf "$OUT/appendonlydir" # an earlier run's data in a reused directory: Redis would load it first
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$OUT" --save '' \
	--appendonly yes --appendfsync everysec --logfile "$OUT/redis.log" &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
started redis-server "$REDIS_PID" "$OUT/redis.log" timeout 1 redis-cli -p "$REDIS_PORT" ping

if [ -n "${SERVER_BIN:-}" ]; then cp "$SERVER_BIN" "$OUT/livevote"; else go build -o "$OUT/livevote" .; fi
LV=$OUT/livevote
LT=$OUT/loadtest

PORT=${SERVER_PORT:-$(free_port)}
METRICS_PORT=$(free_port) # metrics on, as in production
URL=http://127.0.0.1:$PORT
SERVER_PID=
DB=0
WS_MAX=$DASHBOARDS
for n in $MIXED_DASHBOARDS; do ((n > WS_MAX)) && WS_MAX=$n; done
start_server() {
	LIVEVOTE_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/$DB LIVEVOTE_RATE_LIMIT=0 \
		LIVEVOTE_ADMIN_TOKEN=$TOKEN LIVEVOTE_SECRET=bench-secret LIVEVOTE_BALLOT=bench/ballot.yaml LIVEVOTE_WS_MAX_CONNS=$((WS_MAX + 100)) LIVEVOTE_WS_MAX_PER_SOURCE=$((WS_MAX + 100)) \
		"$LV" -addr "127.0.0.1:$PORT" -metrics-addr "127.0.0.1:$METRICS_PORT" >>"$OUT/server.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	started "the server" "$SERVER_PID" "$OUT/server.log" curl -sf --max-time 1 "$URL/healthz"
}
stop_server() {
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
load() { "$LT" -url "$URL" -token "$TOKEN" -quiet "$@"; }

start_server
go build -o "$OUT/plot" ./bench/plot
go build -o "$OUT/loadtest" ./cmd/loadtest
echo "bench: output in $OUT; redis :$REDIS_PORT (AOF, everysec), server $URL (pid $SERVER_PID), $(nproc) cores"

# two_tools NAME RATE [N]: two tool processes with N/2 dashboards each (N: $DASHBOARDS), lined up
# on one start time; the first also votes at RATE.
two_tools() {
	local name=$1 rate=$2 n=${3:-$DASHBOARDS} start
	local half=$((n / 2))
	start=$(($(date +%s) + 20 + n / 500))
	redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
	tool "$OUT/$name-a.txt" -dashboards "$half" -hz "$HZ" -rate "$rate" -duration "$DURATION" -start-at "$start" \
		-server-pid "$SERVER_PID" -json "$OUT/$name-a.json"
	local a=$TOOL
	tool "$OUT/$name-b.txt" -dashboards "$((n - half))" -hz "$HZ" -rate 0 -duration "$DURATION" -start-at "$start" \
		-server-pid "$SERVER_PID" -json "$OUT/$name-b.json"
	tools "$a" "$TOOL"
	cat "$OUT/$name-a.txt" "$OUT/$name-b.txt"
}

ms() { jq -r "$1 / 1e6 * 100 | round / 100" "$2"; }
# permsg EXPR FILE...: EXPR, seconds over the tool reports FILE... (read as one array), in us a
# message the dashboards received, to two decimals; "-" when they received none.
permsg() {
	local e=$1
	shift
	jq -rs "(map(.dash.messages) | add) as \$m | if \$m > 0 then ($e) * 1e6 / \$m * 100 | round / 100 else \"-\" end" "$@"
}
# inserver FILE: the shares of votes the server answered within 10 and 25 ms (its histogram), and
# Redis's wall time per script call in us, from a mixed phase's NAME-server.txt.
inserver() {
	awk '/le="0.01"}/ {a = $2} /le="0.025"}/ {b = $2} /^livevote_vote_duration_seconds_count/ {n = $2}
		/^cmdstat_evalsha/ {sub(/.*usec_per_call=/, ""); sub(/,.*/, ""); u = $0}
		END {if (n) printf "%.1f%% / %.1f%% / %s", 100 * a / n, 100 * b / n, u; else printf "-"}' "$1"
}
# cpu FILE: CPU microseconds per acknowledged request: tool / server / Redis
cpu() { jq -r '[.tool.cpu_us_per_request, .server.cpu_us_per_request, .redis.cpu_us_per_request] | map(. * 10 | round / 10) | join(" / ")' "$1"; }

# mixed_tools NAME N: N dashboards over two tool processes (a, b) and the votes from a third (v),
# lined up on one start time. The voter has a process of its own so that the vote latency it
# measures is the server's, not its own process's busy scheduler reading a tick's messages; its
# voters are phones (-phones): each vote a goroutine started when it is due, on a new connection
# of its own, timed from when it was due (no pool for an arrival to wait for).
mixed_tools() {
	local name=$1 n=$2 start
	local half=$((n / 2))
	start=$(($(date +%s) + 20 + n / 500))
	redis-cli -p "$REDIS_PORT" config resetstat >/dev/null
	tool "$OUT/$name-v.txt" -phones -rate "$MIXED_RATE" -duration "$DURATION" -start-at "$start" -server-pid "$SERVER_PID" \
		-json "$OUT/$name-v.json"
	local v=$TOOL
	tool "$OUT/$name-a.txt" -dashboards "$half" -hz "$HZ" -rate 0 -duration "$DURATION" -start-at "$start" \
		-server-pid "$SERVER_PID" -json "$OUT/$name-a.json"
	local a=$TOOL
	tool "$OUT/$name-b.txt" -dashboards "$((n - half))" -hz "$HZ" -rate 0 -duration "$DURATION" -start-at "$start" \
		-server-pid "$SERVER_PID" -json "$OUT/$name-b.json"
	tools "$v" "$a" "$TOOL"
	cat "$OUT/$name-v.txt" "$OUT/$name-a.txt" "$OUT/$name-b.txt"
	# Where a vote's time goes: the server's own answer time (its vote histogram, this server's
	# whole life: the phase's votes) and Redis's wall time per script call (since the phase began).
	{
		curl -sf "127.0.0.1:$METRICS_PORT/metrics" | grep '^livevote_vote_duration_seconds' || true
		redis-cli -p "$REDIS_PORT" info commandstats | grep '^cmdstat_evalsha' || true
	} >"$OUT/$name-server.txt"
}

# mixed_phase: phase 6, one fresh server and poll per number of dashboards, then the plot.
mixed_phase() {
	local n db=2 plotargs=()
	for n in $MIXED_DASHBOARDS; do
		stop_server
		DB=$db
		db=$((db + 1))
		start_server
		sleep 2
		say "6. mixed: $n dashboards at $HZ Hz, votes at $MIXED_RATE/s"
		mixed_tools "mixed-$n" "$n"
		plotargs+=("$n=$OUT/mixed-$n-v.json")
	done
	say "mixed summary ($(nproc) cores; votes at $MIXED_RATE/s, dashboards at $HZ Hz)"
	printf '%-11s %-22s %-9s %-24s %-10s %-15s %-19s %-30s %s\n' dashboards "vote p50/p90/p99 ms" "late p99" "in server: 10/25 ms/script" "delivery" "server us/msg" "tools: voter/dash" "ticks delivered" "accounting"
	for n in $MIXED_DASHBOARDS; do
		local a=$OUT/mixed-$n-a.json b=$OUT/mixed-$n-b.json v=$OUT/mixed-$n-v.json
		printf '%-11s %-22s %-9s %-24s %-10s %-15s %-19s %-30s %s\n' \
			"$(jq -s 'map(.dash.connected) | add' "$a" "$b")/$n" \
			"$(ms .latency.p50_ns "$v") / $(ms .latency.p90_ns "$v") / $(ms .latency.p99_ns "$v")" \
			"$(ms .late.p99_ns "$v")" \
			"$(inserver "$OUT/mixed-$n-server.txt")" \
			"$(jq -rs 'map(.dash.delivery.p99_ns) | max / 1e6 * 100 | round / 100' "$a" "$b")" \
			"$(permsg '.[0].server.cpu_seconds' "$a" "$b")" \
			"$(jq -r '.tool.cpu_us_per_request | round' "$v") / $(permsg 'map(.tool.cpu_seconds) | add' "$a" "$b")" \
			"$(jq -rs -f bench/ticks.jq "$a" "$b")" \
			"$(jq -r .check_ok "$v")"
	done
	echo "(late: the voter tool's own delay, due -> sent, in the latency; in server: the shares of votes the"
	echo " server answered within 10 and 25 ms by its own clock, and Redis's wall time per cast-script call, us;"
	echo " delivery: p99 ms, worse tool process;"
	echo " tools: the voter's CPU us per vote / the dashboard processes' CPU us per message)"
	"$OUT/plot" -o "$OUT/mixed.svg" -title "vote latency at $MIXED_RATE votes/s, dashboards at $HZ Hz" "${plotargs[@]}"
	echo "plot: $OUT/mixed.svg"
}

if [ "$PHASES" = mixed ]; then
	mixed_phase
	exit 0
fi
if [ "$PHASES" = ratio ]; then
	say "/healthz and votes at saturation in alternating ${WINDOW:=3s} windows, ${WINDOWS:=5} of each"
	printf '%-7s %-12s %-9s %-6s %s\n' window /healthz/s votes/s ratio "CPU us per /healthz; per vote: tool / server / Redis"
	for ((i = 1; i <= WINDOWS; i++)); do
		load -target healthz -rate "$SATURATE" -duration "$WINDOW" -conns "$CONNS" -server-pid "$SERVER_PID" -redis-pid "$REDIS_PID" -json "$OUT/ratio-healthz-$i.json" >/dev/null
		load -rate "$SATURATE" -voters "$(jq '.acked_per_sec * '"${WINDOW%s}"' / 2 | floor' "$OUT/ratio-healthz-$i.json")" -duration "$WINDOW" -conns "$CONNS" -server-pid "$SERVER_PID" -redis-pid "$REDIS_PID" -json "$OUT/ratio-vote-$i.json" >/dev/null
		printf '%-7s %-12s %-9s %-6s %s\n' "$i" "$(jq -r '.acked_per_sec | round' "$OUT/ratio-healthz-$i.json")" "$(jq -r '.acked_per_sec | round' "$OUT/ratio-vote-$i.json")" \
			"$(jq -rs '.[1].acked_per_sec / .[0].acked_per_sec * 100 | round / 100' "$OUT/ratio-healthz-$i.json" "$OUT/ratio-vote-$i.json")" \
			"$(cpu "$OUT/ratio-healthz-$i.json"); $(cpu "$OUT/ratio-vote-$i.json")"
	done
	printf 'median ratio votes/s : /healthz/s   %s\n' "$(for ((i = 1; i <= WINDOWS; i++)); do echo "$OUT/ratio-healthz-$i.json" "$OUT/ratio-vote-$i.json"; done |
		xargs jq -s '[range(0; length; 2) as $k | .[$k + 1].acked_per_sec / .[$k].acked_per_sec] | sort | .[length / 2 | floor] * 100 | round / 100')"
	exit 0
fi
if [ "$PHASES" = rate ]; then
	say "votes at ${RATE:=6000}/s"
	load -rate "$RATE" -duration "$DURATION" -conns "$CONNS" -server-pid "$SERVER_PID" -redis-pid "$REDIS_PID" -json "$OUT/vote-rate.json" | tee "$OUT/vote-rate.txt"
	printf '%-44s %s\n' "CPU us per vote at $RATE/s: tool / server / Redis" "$(cpu "$OUT/vote-rate.json")"
	exit 0
fi

say "1. /healthz at saturation"
load -target healthz -rate "$SATURATE" -duration "$DURATION" -conns "$CONNS" -server-pid "$SERVER_PID" -redis-pid "$REDIS_PID" -json "$OUT/healthz.json" | tee "$OUT/healthz.txt"
HEALTHZ=$(jq '.acked_per_sec' "$OUT/healthz.json")

say "2. votes at saturation"
redis-cli -p "$REDIS_PORT" config resetstat >/dev/null # peak-redis.txt: this phase's commands alone
VOTERS=$(jq -n "[$HEALTHZ * $SECS | floor, 2000000] | min")
load -rate "$SATURATE" -voters "$VOTERS" -duration "$DURATION" -conns "$CONNS" -server-pid "$SERVER_PID" -redis-pid "$REDIS_PID" -json "$OUT/vote-peak.json" | tee "$OUT/vote-peak.txt"
PEAK=$(jq '.acked_per_sec' "$OUT/vote-peak.json")
redis-cli -p "$REDIS_PORT" info commandstats >"$OUT/peak-redis.txt"

# The ratio the CPU alone allows: what a /healthz request costs the machine over what a vote does.
CPURATIO=$(jq -rs '((.[0].tool.cpu_us_per_request + .[0].server.cpu_us_per_request) / (.[1].tool.cpu_us_per_request + .[1].server.cpu_us_per_request + .[1].redis.cpu_us_per_request)) * 100 | round / 100' "$OUT/healthz.json" "$OUT/vote-peak.json")
peak_summary() {
	printf '%-44s %s\n' \
		"/healthz requests/s (saturation)" "$(jq -r '.acked_per_sec | round' "$OUT/healthz.json")" \
		"votes/s acknowledged (saturation)" "$(jq -r '.acked_per_sec | round' "$OUT/vote-peak.json")" \
		"ratio votes/s : /healthz/s" "$(jq -rn "$PEAK / $HEALTHZ * 100 | round / 100")" \
		"CPU us per /healthz: tool / server / Redis" "$(cpu "$OUT/healthz.json")" \
		"CPU us per vote (peak): tool / server / Redis" "$(cpu "$OUT/vote-peak.json")" \
		"ratio the CPU allows (cost /healthz : vote)" "$CPURATIO" \
		"vote latency at peak p50/p99 (service) ms" "$(ms .service.p50_ns "$OUT/vote-peak.json") / $(ms .service.p99_ns "$OUT/vote-peak.json")"
}
if [ "$PHASES" = peak ]; then
	say "summary ($(nproc) cores; tool, Redis and server on the same machine)"
	peak_summary
	exit 0
fi

say "3. votes at half the peak"
HALFRATE=$(jq -n "$PEAK / 2 | floor")
load -rate "$HALFRATE" -duration "$DURATION" -conns "$CONNS" -server-pid "$SERVER_PID" -redis-pid "$REDIS_PID" -json "$OUT/vote-half.json" | tee "$OUT/vote-half.txt"

# The hub's phases start from a fresh process on a fresh poll (Redis database 1): the RSS without
# dashboards is a new server's, and the poll's live rate is not still falling from the vote phases
# (a changing snapshot keeps the writers of "idle" dashboards busy).
stop_server
DB=1
start_server
sleep 2 # the kernel done with the HTTP phases' connections

say "4. hub, idle: RSS with 0 and $DASHBOARDS dashboards (no votes: nothing changes)"
sleep 1
RSS0=$(rss_kib)
two_tools hub-idle 0
RSS1=$(jq '.server.rss_start_kib' "$OUT/hub-idle-a.json")

say "5. hub, live: $DASHBOARDS dashboards at $HZ Hz, votes at $HUB_RATE/s"
two_tools hub-live "$HUB_RATE"

say "summary ($(nproc) cores; tool, Redis and server on the same machine)"
peak_summary
printf '%-44s %s\n' \
	"votes/s at half peak (acknowledged)" "$(jq -r '.acked_per_sec | round' "$OUT/vote-half.json")" \
	"vote latency at half peak p50/p90/p99/max ms" "$(ms .latency.p50_ns "$OUT/vote-half.json") / $(ms .latency.p90_ns "$OUT/vote-half.json") / $(ms .latency.p99_ns "$OUT/vote-half.json") / $(ms .latency.max_ns "$OUT/vote-half.json")" \
	"accounting checks (peak, half, hub)" "$(jq -r .check_ok "$OUT/vote-peak.json") $(jq -r .check_ok "$OUT/vote-half.json") $(jq -r .check_ok "$OUT/hub-live-a.json")" \
	"hub: dashboards connected (live)" "$(jq -s 'map(.dash.connected) | add' "$OUT"/hub-live-[ab].json) at $HZ Hz, $(jq -r '.dash.mean_bytes' "$OUT/hub-live-a.json") bytes a message, $HUB_RATE votes/s" \
	"hub: delivery p50/p99/max ms (worse process)" "$(jq -rs 'map(.dash.delivery.p50_ns) | max / 1e6 * 100 | round / 100' "$OUT"/hub-live-[ab].json) / $(jq -rs 'map(.dash.delivery.p99_ns) | max / 1e6 * 100 | round / 100' "$OUT"/hub-live-[ab].json) / $(jq -rs 'map(.dash.delivery.max_ns) | max / 1e6 * 100 | round / 100' "$OUT"/hub-live-[ab].json)" \
	"hub: vote-to-visible p50/p99 ms" "$(ms .dash.vote_to_visible.p50_ns "$OUT/hub-live-a.json") / $(ms .dash.vote_to_visible.p99_ns "$OUT/hub-live-a.json")" \
	"hub: messages delivered in the window" "$(jq -s 'map(.dash.messages) | add' "$OUT"/hub-live-[ab].json)" \
	"hub: the window's ticks delivered" "$(jq -rs -f bench/ticks.jq "$OUT"/hub-live-[ab].json)" \
	"hub: server CPU per delivered message (us)" "$(permsg '.[0].server.cpu_seconds' "$OUT"/hub-live-[ab].json) (all server CPU over the window, votes included)" \
	"hub: server RSS idle, 0 -> $DASHBOARDS dashboards" "$((RSS0 / 1024)) MiB -> $((RSS1 / 1024)) MiB: $(jq -n "($RSS1 - $RSS0) * 1024 / $DASHBOARDS / 1000 * 10 | round / 10") KB per dashboard"

mixed_phase

#!/usr/bin/env bash
# bench/peer.sh: livevote's hub side by side with Centrifugo (the peer), everything on loopback.
#
# Builds the peer from the Go module proxy into a temporary directory outside this repository
# (`go install github.com/centrifugal/centrifugo/v6@$PEER_VERSION`; none of its code enters ours),
# the server and the load tool from this tree, starts its own redis-server (AOF, fsync every
# second), then measures each server ROUNDS times, alternating (livevote, peer, livevote, peer...),
# each time on a fresh process:
#   idle: the server's RSS with no client, then with $N idle clients (split over two tool
#         processes: the open-file limit is per process): RSS per idle client;
#   live: $N clients at $HZ messages a second for $DURATION: the window's ticks (the readings, or
#         publications, whose "at" is in it) and how many of the N x ticks messages of them were
#         delivered (bench/ticks.jq; the tick figures of `loadtest`), delivery p50/p99 (from the message's "at" to the client), the server's
#         CPU per delivered message (/proc of the server process over the window), and its split into
#         user time (the server's own code) and system time (its system calls; a loopback write
#         also does the receiving side's TCP work).
# livevote: dashboards of a poll at hz=$HZ while votes arrive at $VOTE_RATE/s (the tally changes
# every tick: every tick is a message). The peer: $N subscribers of one channel, and the tool
# publishing $HZ messages a second to it over the peer's HTTP API, each of about the size of a
# livevote snapshot (PEER_SIZE bytes of data; the tool prints the mean frame size of both).
# The clients are the same code (cmd/loadtest, -peer centrifugo speaks the peer's JSON protocol).
#
# Usage: bench/peer.sh [output directory]    (default: a new directory under /tmp)
# Settings (environment): N (10000), HZ (4), DURATION (10s), VOTE_RATE (200), ROUNDS (2),
# PEER_VERSION (v6.9.1), PEER_BIN (a Centrifugo binary to use instead of building one),
# PEER_SIZE (315), PERF (a sampling rate: each live window's server profiled by `perf record -g` at
# that many samples a second into SERVER-ROUND-live.perf), SERVER_BIN (a livevote binary to
# measure instead of this tree's), BEFORE_BIN (a livevote binary measured too, as "before", first
# in each round: before, livevote, centrifugo).
# PEER_VERSION v6.9.1 builds with Go 1.26; should a later one need a newer Go, set GOTOOLCHAIN for
# this script only (it builds the peer outside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000}
HZ=${HZ:-4}
DURATION=${DURATION:-10s}
VOTE_RATE=${VOTE_RATE:-200}
ROUNDS=${ROUNDS:-2}
PEER_VERSION=${PEER_VERSION:-v6.9.1}
PEER_SIZE=${PEER_SIZE:-315}
OUT=${1:-$(mktemp -d /tmp/livevote-peer.XXXXXX)}
mkdir -p "$OUT"
TOKEN=bench-organiser
PEER_KEY=bench-api-key
SECS=${DURATION%s}

for tool in redis-server redis-cli jq curl go python3; do
	command -v "$tool" >/dev/null || { echo "peer: $tool is needed" >&2; exit 1; }
done
if (($(ulimit -n) < N / 2 + 500)); then
	echo "peer: the open-file limit ($(ulimit -n)) is too low for $N clients" >&2
	exit 1
fi

# Every process this script starts is a job of its shell: all are ended on exit.
trap 'kill $(jobs -p) 2>/dev/null || true; wait' EXIT

# free_port prints a loopback port the kernel just handed out (a server that then fails to bind
# it is caught by wait_up).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
say() { printf '\n== %s\n' "$*"; }

# wait_up URL PID NAME: wait until URL answers, failing fast when the process PID has died.
wait_up() {
	local i
	for i in $(seq 300); do
		curl -sf "$1" >/dev/null 2>&1 && return 0
		kill -0 "$2" 2>/dev/null || { echo "peer: $3 did not start (see $OUT/$3.log)" >&2; tail -5 "$OUT/$3.log" >&2; exit 1; }
		sleep 0.1
	done
	echo "peer: $3 did not answer on $1 within 30 s" >&2
	exit 1
}

# The peer, built outside the repository.
if [ -n "${PEER_BIN:-}" ]; then
	cp "$PEER_BIN" "$OUT/centrifugo"
else
	PEER_TMP=$(mktemp -d /tmp/livevote-peer-build.XXXXXX)
	say "building centrifugo $PEER_VERSION in $PEER_TMP"
	(cd "$PEER_TMP" && GOBIN=$PEER_TMP/bin GOFLAGS=-modcacherw go install "github.com/centrifugal/centrifugo/v6@$PEER_VERSION")
	cp "$PEER_TMP/bin/centrifugo" "$OUT/centrifugo"
	rm -rf "$PEER_TMP"
fi
if [ -n "${SERVER_BIN:-}" ]; then cp "$SERVER_BIN" "$OUT/livevote"; else go build -o "$OUT/livevote" .; fi
SERVERS=(livevote centrifugo)
if [ -n "${BEFORE_BIN:-}" ]; then
	cp "$BEFORE_BIN" "$OUT/before"
	SERVERS=(before livevote centrifugo)
fi
go build -o "$OUT/loadtest" ./cmd/loadtest
LT=$OUT/loadtest

# The peer's configuration: anonymous clients may subscribe to any channel, the HTTP API takes
# the key, nothing else changed from its defaults (no history, no presence, JSON protocol).
cat >"$OUT/centrifugo.json" <<EOF
{
  "log": {"level": "error"},
  "health": {"enabled": true},
  "client": {"insecure": true, "allowed_origins": ["*"]},
  "http_api": {"key": "$PEER_KEY"},
  "channel": {"without_namespace": {"allow_subscribe_for_client": true}}
}
EOF

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$OUT" --save '' \
	--appendonly yes --appendfsync everysec --logfile "$OUT/redis.log" &
until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do sleep 0.1; done

SERVER_PID=
URL=
DB=1
# start NAME: a fresh livevote (before or livevote, on a fresh poll: its own Redis database) or
# peer (centrifugo) process.
start() {
	local port metrics
	port=$(free_port)
	URL=http://127.0.0.1:$port
	if [ "$1" != centrifugo ]; then
		metrics=$(free_port)
		LIVEVOTE_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/$DB LIVEVOTE_RATE_LIMIT=0 \
			LIVEVOTE_ADMIN_TOKEN=$TOKEN LIVEVOTE_SECRET=bench-secret LIVEVOTE_BALLOT=bench/ballot.yaml \
			LIVEVOTE_WS_MAX_CONNS=$((N + 100)) LIVEVOTE_WS_MAX_PER_SOURCE=$((N + 100)) \
			"$OUT/$1" -addr "127.0.0.1:$port" -metrics-addr "127.0.0.1:$metrics" >>"$OUT/$1.log" 2>&1 &
		DB=$((DB + 1))
	else
		"$OUT/centrifugo" --config "$OUT/centrifugo.json" --http_server.address 127.0.0.1 \
			--http_server.port "$port" >>"$OUT/centrifugo.log" 2>&1 &
	fi
	SERVER_PID=$!
	if [ "$1" != centrifugo ]; then wait_up "$URL/healthz" "$SERVER_PID" "$1"; else wait_up "$URL/health" "$SERVER_PID" centrifugo; fi
	sleep 2
}
stop() {
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
}

# clients NAME SERVER RATE: two tool processes with N/2 clients each on one start time; the first
# also votes (livevote) or publishes (peer) at RATE a second.
clients() {
	local name=$1 server=$2 rate=$3 start a b prof= args=()
	local half=$((N / 2))
	if [ "$server" = centrifugo ]; then args=(-peer centrifugo -peer-key "$PEER_KEY" -peer-size "$PEER_SIZE" -conns 1); fi
	start=$(($(date +%s) + 20 + N / 500))
	"$LT" -url "$URL" -token "$TOKEN" -quiet "${args[@]}" -dashboards "$half" -hz "$HZ" -rate "$rate" \
		-duration "$DURATION" -start-at "$start" -server-pid "$SERVER_PID" -json "$OUT/$name-a.json" >"$OUT/$name-a.txt" 2>&1 &
	a=$!
	"$LT" -url "$URL" -token "$TOKEN" -quiet "${args[@]}" -dashboards "$((N - half))" -hz "$HZ" -rate 0 \
		-duration "$DURATION" -start-at "$start" -server-pid "$SERVER_PID" -json "$OUT/$name-b.json" >"$OUT/$name-b.txt" 2>&1 &
	b=$!
	if [ -n "${PERF:-}" ] && [ "$rate" != 0 ]; then
		# The window's profile of the server, kernel included (perf record -g; see BENCHMARKS.md).
		(sleep $((start - $(date +%s))) && perf record -q -F "$PERF" -g -p "$SERVER_PID" -o "$OUT/$name.perf" -- sleep "$SECS") >/dev/null 2>&1 &
		prof=$!
	fi
	wait "$a" "$b" || { cat "$OUT/$name-a.txt" "$OUT/$name-b.txt" >&2; exit 1; }
	[ -z "$prof" ] || wait "$prof" || true
}

# measure SERVER ROUND: one fresh process: idle RSS, then the live window.
measure() {
	local server=$1 round=$2 rss0 rss1 rate=$VOTE_RATE
	[ "$server" = centrifugo ] && rate=$HZ
	say "$server, round $round: idle then live ($(cat /proc/loadavg | cut -d' ' -f1-3) load)"
	start "$server"
	rss0=$(awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status")
	clients "$server-$round-idle" "$server" 0
	rss1=$(jq '.server.rss_start_kib' "$OUT/$server-$round-idle-a.json")
	echo "$rss0 $rss1" >"$OUT/$server-$round-rss"
	clients "$server-$round-live" "$server" "$rate"
	stop
	row "$server" "$round"
}

# row SERVER ROUND: one line of the table.
row() {
	local p=$OUT/$1-$2-live a b rss0 rss1
	a=$p-a.json b=$p-b.json
	read -r rss0 rss1 <"$OUT/$1-$2-rss"
	printf '%-11s %-6s %-30s %-12s %-16s %-22s %-9s %s\n' "$1" "$2" \
		"$(jq -rs -f bench/ticks.jq "$a" "$b")" \
		"$(jq -s 'map(.dash.seq_gaps) | add' "$a" "$b")" \
		"$(jq -rs 'map(.dash.delivery.p50_ns) | max / 1e6 * 100 | round / 100' "$a" "$b") / $(jq -rs 'map(.dash.delivery.p99_ns) | max / 1e6 * 100 | round / 100' "$a" "$b")" \
		"$(jq -rs '(map(.dash.messages) | add) as $m | .[0].server | [.cpu_seconds, .cpu_user_seconds, .cpu_system_seconds] | map(. * 1e6 / $m * 100 | round / 100) | "\(.[0]) (\(.[1])+\(.[2]))"' "$a" "$b")" \
		"$(jq -n "($rss1 - $rss0) * 1024 / $N / 1000 * 10 | round / 10")" \
		"$(jq -r '.dash.mean_bytes' "$a")" | tee -a "$OUT/table.txt"
}

printf '%-11s %-6s %-30s %-12s %-16s %-22s %-9s %s\n' server round "delivered (ticks)" "seq gaps" "delivery p50/p99" "CPU us/msg (user+sys)" "KB/idle" "bytes/msg" | tee "$OUT/table.txt"
for round in $(seq "$ROUNDS"); do
	for server in "${SERVERS[@]}"; do measure "$server" "$round"; done
done
say "summary ($(nproc) cores; $N clients at $HZ Hz, $DURATION windows; livevote with votes at $VOTE_RATE/s)"
cat "$OUT/table.txt"

#!/usr/bin/env bash
# kill -9 reliability of the proxy's ledger writer.
#
# 1. Starts the anchors' nginx mock upstream and `llmcost proxy` on a fresh SQLite ledger.
# 2. Loads it with CLIENTS keep-alive clients (JSON and SSE chat completions), each
#    noting when every response completed.
# 3. After LOAD_S seconds, kill -9 the proxy and notes the instant.
# 4. Counts the ledger rows and the responses that completed more than BOUND_MS before
#    the kill: the first may not be smaller. The writer's flush interval is 50 ms; a
#    record is durable within the interval plus one batch write, hence BOUND_MS = 100.
# 5. Restarts the proxy on the same ledger, sends 100 more calls, stops it with SIGTERM
#    and checks that exactly 100 rows were added (the restart resumes cleanly).
#
# Usage: bash bench/proxy_kill9.sh      Env: CLIENTS (8), LOAD_S (5), BOUND_MS (100),
#        BUILD (1), CARGO_TARGET_DIR, LLMCOST_ANCHORS_HOME, ROUNDS (3).
# Everything listens on 127.0.0.1; servers are stopped by PID on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
ANCHORS="$(cd "$ROOT/../shared/anchors" && pwd)"
H="${LLMCOST_ANCHORS_HOME:-$HOME/.cache/llmcost-anchors}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET" in /*) ;; *) TARGET="$ROOT/$TARGET" ;; esac
[ "${BUILD:-1}" = 1 ] && cargo build --release -p llmcost-cli
BIN="$TARGET/release/llmcost"
W="$H/kill9"
UP=18180
PX=14180
rm -rf "$W"
mkdir -p "$W"
python3 "$ANCHORS/proxy/make_mock.py" "$W" "$UP" "$((UP + 1))" >/dev/null
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done; }
trap cleanup EXIT
setsid bash -c 'cd "$1" && exec "$2" -p "$1/" -c nginx.conf -e nginx-error.log' _ "$W" "$NGINX" >/dev/null 2>&1 &
PIDS+=($!)
start_proxy() {
  # In a subshell, so that the shell does not report the kill -9 of its job.
  (setsid env -i PATH=/usr/bin:/bin TZ=UTC "$BIN" proxy --listen 127.0.0.1:$PX \
    --upstream "http://127.0.0.1:$UP" --upstream "sse=http://127.0.0.1:$((UP + 1))" \
    --ledger "$W/ledger.db" >>"$W/proxy.log" 2>&1 & echo $! >"$W/proxy.pid")
  PPID_="$(cat "$W/proxy.pid")"
  PIDS+=("$PPID_")
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PX/health" && return 0; sleep 0.05; done
  echo "proxy did not start; see $W/proxy.log" >&2
  exit 1
}
gone() { for _ in $(seq 1 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done; }
rows() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from records").fetchone()[0])' "$W/ledger.db"; }
sleep 0.3
status=0
for round in $(seq 1 "${ROUNDS:-3}"); do
  start_proxy
  before="$(rows)"
  python3 - "$PX" "${CLIENTS:-8}" "${LOAD_S:-5}" "$PPID_" "$W/times.json" <<'EOF'
import http.client, json, os, signal, sys, threading, time
port, clients, load_s, pid, out = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
json_body = open(os.path.join(os.path.dirname(out), "direct.json"), "rb").read()
sse_body = open(os.path.join(os.path.dirname(out), "direct-stream.json"), "rb").read()
done = [[] for _ in range(clients)]
stop = threading.Event()
def client(i):
    path, body = ("/v1/chat/completions", json_body) if i % 2 == 0 else ("/sse/v1/chat/completions", sse_body)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    while not stop.is_set():
        try:
            c.request("POST", path, body, {"Content-Type": "application/json", "Authorization": "Bearer sk-kill9"})
            r = c.getresponse(); data = r.read()
            if r.status == 200 and (i % 2 == 0 or data.rstrip().endswith(b"data: [DONE]")):
                done[i].append(time.monotonic())
        except Exception:
            return
threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in threads: t.start()
time.sleep(load_s)
os.kill(pid, signal.SIGKILL)
killed = time.monotonic()
stop.set()
for t in threads: t.join()
times = sorted(t for d in done for t in d)
json.dump({"killed": killed, "times": times}, open(out, "w"))
EOF
  gone "$PPID_"
  after_kill="$(rows)"
  python3 - "$W/times.json" "$before" "$after_kill" "${BOUND_MS:-100}" "$round" <<'EOF' || status=1
import json, sys
d = json.load(open(sys.argv[1])); before, after, bound, rnd = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
k, t = d["killed"], d["times"]
completed = len(t)
older = sum(1 for x in t if x <= k - bound / 1000)
older50 = sum(1 for x in t if x <= k - 0.05)
added = after - before
ok = added >= older
print(f"round {rnd}: {completed} responses completed before kill -9, {older} of them more than {bound:.0f} ms "
      f"before it ({older50} more than 50 ms); the ledger gained {added} records; missing among those "
      f"older than {bound:.0f} ms: {max(0, older - added)}; among those older than 50 ms: {max(0, older50 - added)}; "
      f"-> {'OK' if ok else 'LOST RECORDS'}")
sys.exit(0 if ok else 1)
EOF
  # Restart on the same ledger: 100 calls, graceful stop, exactly 100 more rows.
  start_proxy
  base="$(rows)"
  for _ in $(seq 1 100); do
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -H 'Authorization: Bearer sk-kill9' \
      --data-binary @"$W/direct.json" "http://127.0.0.1:$PX/v1/chat/completions"
  done
  kill -TERM "$PPID_"
  gone "$PPID_"
  final="$(rows)"
  if [ "$((final - base))" -eq 100 ]; then
    echo "round $round: restart resumed cleanly: +100 calls -> +$((final - base)) records ($final in all)"
  else
    echo "round $round: restart MISMATCH: +100 calls -> +$((final - base)) records" >&2
    status=1
  fi
done
exit "$status"

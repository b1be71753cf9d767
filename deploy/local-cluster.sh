#!/usr/bin/env bash
# Runs N `quill serve` replicas on free loopback ports behind HAProxy (Debian's haproxy) on --port, until SIGTERM or
# Ctrl+C, which stop HAProxy and then the replicas (each drains: requests in flight finish). In --run-dir: replica-K.pid,
# replica-K.log, replica-K.sh (starts replica K again on its port, e.g. after it was killed; it rejoins when /health
# passes), haproxy.cfg, haproxy.pid, haproxy.log, and cluster.ready once everything answers.
# Usage: deploy/local-cluster.sh --model M.gguf --port P --replicas N --run-dir DIR [-- extra quill serve flags]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="" port="" replicas=3 run_dir="" extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --replicas) replicas="$2"; shift 2 ;;
    --run-dir) run_dir="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "local-cluster: unknown argument '$1'" >&2; exit 1 ;;
  esac
done
[ -n "$model" ] && [ -f "$model" ] || { echo "local-cluster: --model must name a GGUF file, found '${model}'" >&2; exit 1; }
[[ "$port" =~ ^[0-9]+$ ]] || { echo "local-cluster: --port must be a number, found '${port}'" >&2; exit 1; }
[[ "$replicas" =~ ^[1-9][0-9]*$ ]] || { echo "local-cluster: --replicas must be 1 or more, found '${replicas}'" >&2; exit 1; }
[ -n "$run_dir" ] || { echo "local-cluster: --run-dir is required" >&2; exit 1; }
haproxy="$(command -v haproxy || echo /usr/sbin/haproxy)"
[ -x "$haproxy" ] || { echo "local-cluster: haproxy is not installed (apt-get install haproxy)" >&2; exit 1; }
mkdir -p "$run_dir"
run_dir="$(cd "$run_dir" && pwd)"
rm -f "$run_dir/cluster.ready"

# The CLI, built once (./quill builds incrementally); replicas run the built binary directly. QUILL_CMD overrides it
# (e.g. "dotnet /path/Quill.Cli.dll").
if [ -n "${QUILL_CMD:-}" ]; then
  quill="$QUILL_CMD"
else
  "$root/quill" --version >/dev/null
  quill="$root/artifacts/cli/Quill.Cli"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

stop() {
  trap - TERM INT
  [ -f "$run_dir/haproxy.pid" ] && kill "$(cat "$run_dir/haproxy.pid")" 2>/dev/null || true
  for pidfile in "$run_dir"/replica-*.pid; do
    [ -f "$pidfile" ] && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -f "$run_dir/cluster.ready"
  exit 0
}
trap stop TERM INT

servers=""
for k in $(seq 1 "$replicas"); do
  p=$(free_port)
  # Each replica's start script, so a killed replica can be started again on the same port.
  cat > "$run_dir/replica-$k.sh" <<SCRIPT
#!/usr/bin/env bash
exec $quill serve -m "$model" --host 127.0.0.1 --port $p --drain-seconds 20 ${extra[*]:-} >>"$run_dir/replica-$k.log" 2>&1
SCRIPT
  chmod +x "$run_dir/replica-$k.sh"
  "$run_dir/replica-$k.sh" &
  echo $! > "$run_dir/replica-$k.pid"
  servers+="    server replica-$k 127.0.0.1:$p"$'\n'
  echo "replica-$k: 127.0.0.1:$p (pid $(cat "$run_dir/replica-$k.pid"))" >&2
done
for k in $(seq 1 "$replicas"); do
  p=$(sed -nE 's/.*--port ([0-9]+).*/\1/p' "$run_dir/replica-$k.sh")
  for _ in $(seq 1 600); do
    curl -fsS "http://127.0.0.1:$p/health" >/dev/null 2>&1 && break
    kill -0 "$(cat "$run_dir/replica-$k.pid")" 2>/dev/null || { echo "local-cluster: replica-$k exited, see $run_dir/replica-$k.log" >&2; stop; }
    sleep 0.2
  done
done

# Both backends get every replica.
awk -v servers="$servers" '{ print } /^backend / { inside = 1 } inside && /http-check expect/ { printf "%s", servers; inside = 0 }' \
  "$root/deploy/haproxy.cfg" > "$run_dir/haproxy.cfg"
QUILL_BIND="127.0.0.1:$port" "$haproxy" -f "$run_dir/haproxy.cfg" -db >"$run_dir/haproxy.log" 2>&1 &
echo $! > "$run_dir/haproxy.pid"
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$(cat "$run_dir/haproxy.pid")" 2>/dev/null || { echo "local-cluster: haproxy exited, see $run_dir/haproxy.log" >&2; stop; }
  sleep 0.1
done
touch "$run_dir/cluster.ready"
echo "serving at http://127.0.0.1:$port/ through HAProxy ($replicas replicas); SIGTERM or Ctrl+C stops" >&2
while true; do sleep 1 & wait $!; done

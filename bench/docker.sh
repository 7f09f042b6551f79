#!/usr/bin/env bash
# Benchmark of the published compose bundle on the tests' own Docker Engine (scripts/docker-test-engine.sh).
# Prints Markdown figures; not a test. As root (dockerd). About 15 minutes on 2 quiet cores:
#   - services image build time: cold (--no-cache) and warm (nothing changed)
#   - `up -d --scale api=3` until every container is healthy
#   - wrk -t2 -c16 -d6s over https through nginx (50 habits, api scaled to 3): the cached GET /api/habits/
#     and the app's page /habits/, each run WRK_RUNS times (default 2) after an untimed warm-up run
#   - then, in the same run, the AppHost's Production run mode and the bare service (bench/run.sh --only datapath)
# The images postgres/redis/nginx are the stand-ins of Tests/EndToEnd/Docker/standins (no registry here),
# or the official ones with ICHRISBIRCH_DOCKER_OFFICIAL_IMAGES=1.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
engine="$repo/scripts/docker-test-engine.sh"
runs="${WRK_RUNS:-2}"
https_port=29443 http_port=29080
exec 9>/run/ichrisbirch-docker.lock   # the Docker tests' lock: one user of the engine at a time
flock -w 2700 9 || { echo "bench/docker.sh: the Docker tests hold /run/ichrisbirch-docker.lock" >&2; exit 1; }
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
# Published ports by iptables DNAT, as on a real host: docker-proxy (the tests' default) copies every byte of the
# loopback traffic and took 60-80 µs of CPU per request, 8-10 % of the bundle's own cost.
export ICHRISBIRCH_DOCKER_USERLAND_PROXY=false
state="$(bash "$engine" start | tail -n 1)"
export "$(bash "$engine" env)"
work="$(mktemp -d /var/tmp/ichrisbirch-bench.XXXXXX)"
compose() { (cd "$work" && docker-compose -p ichrisbirch-bench -f docker-compose.yml "$@"); }
cleanup() {
  compose down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
  bash "$engine" stop
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

(cd "$repo" && dotnet run --project AppHost --no-launch-profile -- --operation publish --step publish --output-path "$work" \
  --Ichrisbirch:Kubernetes:Host=bench.example.com --Ichrisbirch:Kubernetes:TlsSecretName=bench-example-com-tls >/dev/null)
for image in $(grep -h '^    image:' "$work"/docker-compose*.yml | awk '{print $2}' | sort -u); do
  if [ "${ICHRISBIRCH_DOCKER_OFFICIAL_IMAGES:-0}" = 1 ]; then docker pull -q "$image" >/dev/null; continue; fi
  name="${image##*/}"; name="${name%%:*}"
  DOCKER_BUILDKIT=0 docker build -q -t "$image" "$repo/Tests/EndToEnd/Docker/standins/$name" >/dev/null
done

mkdir -p "$work/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout "$work/tls/key.pem" \
  -out "$work/tls/certificate.pem" 2>/dev/null
secret() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
api_key="$(secret)"
while IFS= read -r line; do
  case "$line" in
    HTTP_PORT=*) echo "HTTP_PORT=$http_port" ;;
    HTTPS_PORT=*) echo "HTTPS_PORT=$https_port" ;;
    TLS_CERTIFICATE=) echo "TLS_CERTIFICATE=$work/tls/certificate.pem" ;;
    TLS_CERTIFICATE_KEY=) echo "TLS_CERTIFICATE_KEY=$work/tls/key.pem" ;;
    API_SECRET_KEY=) echo "API_SECRET_KEY=$api_key" ;;
    *PASSWORD=|*KEY=|*SECRET=) echo "$line$(secret)" ;;
    *) echo "$line" ;;
  esac
done <"$work/.env.example" >"$work/.env"

echo "## Production bundle on Docker Engine $(docker version -f '{{.Server.Version}}'), $(nproc) cores"
echo
build() { DOCKER_BUILDKIT=0 docker build -q "$@" --target production -t ichrisbirch-bench-probe "$work/services" >/dev/null; }
start="$(now)"; build --no-cache; echo "- services image (production target) build, cold (--no-cache, local base): $(since "$start") s"
start="$(now)"; build; echo "- services image build, warm (nothing changed): $(since "$start") s"
docker rmi -f ichrisbirch-bench-probe >/dev/null
start="$(now)"; compose up -d --build --scale api=3 >/dev/null 2>&1
# Every long-running container healthy; the one-shot postgres-init (no healthcheck) exited 0.
while :; do
  statuses="$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}} {{.State.ExitCode}}{{end}}' $(compose ps -q))"
  ! grep -qv '^healthy$\|^exited 0$' <<<"$statuses" && [ "$(grep -c '^healthy$' <<<"$statuses")" -eq 8 ] && break
  [ "$(awk -v a="$start" -v b="$(now)" 'BEGIN { print (b - a > 600) }')" = 1 ] && { echo "- not all healthy within 600 s" >&2; exit 1; }
  sleep 1
done
echo "- \`up -d --scale api=3\` to all 8 long-running containers healthy (postgres-init exited 0): $(since "$start") s"

for i in $(seq 1 50); do
  curl -skf -o /dev/null -H "X-API-Key: $api_key" -H 'Content-Type: application/json' \
    -d "{\"name\": \"bench-$i\", \"category\": \"bench\"}" "https://127.0.0.1:$https_port/api/habits/"
done
echo
echo "| path (https through nginx, api x3, 50 habits) | run | req/s | p50 | p99 |"
echo "| --- | --- | --- | --- | --- |"
# CFS throttling per service over a path's timed runs: periods in which a container used up its `cpus:` quota
# and waited for the next 100 ms period (cgroup v1 cpu.stat, as this engine runs; v2 has the same fields).
throttling() {
  local id dir
  for id in $(compose ps -q); do
    dir="$(find /sys/fs/cgroup/cpu/ /sys/fs/cgroup/ -maxdepth 4 -type d -name "$id*" 2>/dev/null | head -n 1)"
    [ -n "$dir" ] && [ -r "$dir/cpu.stat" ] || continue
    awk -v n="$(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}}' "$id")" \
      '$1 == "nr_throttled" {t = $2} $1 == "throttled_time" {ns = $2} $1 == "throttled_usec" {ns = $2 * 1000}
       END {print n, t, ns}' "$dir/cpu.stat"
  done | awk '{t[$1] += $2; ns[$1] += $3} END {for (n in t) print n, t[n], ns[n]}' | sort
}
throttled_since() {  # $1: the throttling() output taken before
  join -a 2 <(printf '%s\n' "$1") <(throttling) | awk 'NF == 5 {dt = $4 - $2; dns = $5 - $3} NF == 3 {dt = $2; dns = $3}
    dt > 0 {printf "%s %d periods (%.0f ms), ", $1, dt, dns / 1e6}'
}
cpu_by_path=()
throttled_by_path=()
for path in /api/habits/ /habits/; do
  curl -skf -o /dev/null "https://127.0.0.1:$https_port$path"   # fills the cache
  # An untimed warm-up run first (new TLS sessions, nginx's upstream connections, each worker's first requests),
  # which is also where the two cores go: top's second sample, 4 s inside it, by command. top stays out of the
  # timed runs.
  (sleep 1; top -b -n 2 -d 4 -w 200 | awk '/^top -/ {n++} n == 2 && $1 ~ /^[0-9]+$/ {cpu[$12] += $9}
    END {for (c in cpu) if (cpu[c] >= 3) printf "%s %.0f%%\n", c, cpu[c]}' | sort -k2 -t' ' -rn | tr '\n' ',' \
    >"$work/cpu-warm-up.txt") &
  warm="$(wrk -t2 -c16 -d6s "https://127.0.0.1:$https_port$path" | awk '/^Requests\/sec/ {print $2}')"
  wait
  before_runs="$(throttling)"
  for run in $(seq 1 "$runs"); do
    out="$(wrk -t2 -c16 -d6s --latency "https://127.0.0.1:$https_port$path")"
    rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"; p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    errors="$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr '\n' ' ' || true)"
    echo "| \`GET $path\` | $run | $rps | $p50 | $p99 ${errors:+($errors)}|"
  done
  throttled="$(throttled_since "$before_runs")"
  throttled_by_path+=("\`GET $path\` timed runs, CFS throttling by service: ${throttled:-none}")
  cpu_by_path+=("\`GET $path\` warm-up run ($warm req/s, untimed), CPU by command (100 % = one core): $(cat "$work/cpu-warm-up.txt" 2>/dev/null)")
done
echo
printf -- '- %s\n' "${cpu_by_path[@]}" "${throttled_by_path[@]}"

# Beside it, in the same run: the AppHost's Production run mode and the bare service (bench/run.sh's data path),
# once the engine and its containers are gone. WITH_APPHOST=0 skips it.
cleanup; trap - EXIT
if [ "${WITH_APPHOST:-1}" = 1 ]; then
  echo
  bash "$repo/bench/run.sh" --only datapath --profiles production --wrk-runs "$runs" --wrk-seconds 6 | sed -n '/^## 5\./,$p'
fi

#!/usr/bin/env bash
# Load test: `openiop serve` (gunicorn) on PostgreSQL with the demo, behind
# nginx with the proxy settings of deploy/ (as in production: nginx buffers
# requests and answers, so gunicorn's sync workers never wait on a client),
# walked by wrk as a signed-in clinician (each connection cycles through the dashboard,
# patient search, caseload, charts, plans, a roster and the public finder).
# After a warm-up that is not counted, two series of 10, 50 and 200 concurrent
# connections: "capacity" (each connection asks again as soon as it has its
# answer: the most the machine serves) and "users" (each connection is a person
# who reads for LOAD_THINK_MS on average, default 3000 ms, between pages).
# One JSON line per level.
#   bash bench/load.sh [seconds per level, default 30]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_LEVEL="${1:-30}"
PG="postgres://postgres@127.0.0.1:5432"
DB=openiop_load
export DEBUG=0 ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0
export REQUIRE_2FA=0 SECRET_KEY="load-$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
export DATABASE_URL="$PG/$DB" CACHE_URL="redis://127.0.0.1:6379/12"
export RATE_LIMITS="directory-page=off,directory-api=off"
OPENIOP=.venv/bin/openiop
mkdir -p var
if ! psql "$PG/$DB" -qtAc "SELECT 1 FROM organizations_organization WHERE slug = 'demo'" 2>/dev/null | grep -q 1; then
  psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
  $OPENIOP migrate --noinput -v 0
  $OPENIOP demo > /dev/null
fi
$OPENIOP migrate --noinput -v 0
BIND=127.0.0.1:8950 WEB_CONCURRENCY="${WEB_CONCURRENCY:-5}" $OPENIOP serve > var/load-serve.log 2>&1 &
server=$!
if ! command -v nginx >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
proxy_dir="$(mktemp -d)"
cat > "$proxy_dir/nginx.conf" <<CONF
worker_processes 1;
error_log $proxy_dir/error.log;
pid $proxy_dir/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $proxy_dir/body;
    proxy_temp_path $proxy_dir/proxy;
    upstream openiop { server 127.0.0.1:8950; keepalive 16; }
    server {
        listen 127.0.0.1:8960;
        include $PWD/deploy/openiop-proxy.conf;
        location / { proxy_pass http://openiop; }
    }
}
CONF
nginx -c "$proxy_dir/nginx.conf" -p "$proxy_dir"
trap 'kill $server 2>/dev/null || true; nginx -c "$proxy_dir/nginx.conf" -p "$proxy_dir" -s stop || true' EXIT
for _ in $(seq 1 60); do curl -fsS http://127.0.0.1:8960/healthz >/dev/null 2>&1 && break; sleep 0.5; done
mapfile -t walk < <(.venv/bin/python bench/load_session.py clinician)
export LOAD_COOKIE="${walk[0]}"
THINK_MS="${LOAD_THINK_MS:-3000}"
# warm-up: every worker imports, connects and compiles its templates
LOAD_THINK_MS=0 wrk -t 2 -c 10 -d 10s --timeout 30s -s bench/load.lua \
  http://127.0.0.1:8960 -- "${walk[1]}" > /dev/null
for series in capacity users; do
  think=0
  [ "$series" = users ] && think="$THINK_MS"
  for level in 10 50 200; do
    sleep 10  # the previous level's queued requests drain first
    printf '{"series": "%s", "think_ms": %d, "connections": %d, ' "$series" "$think" "$level"
    LOAD_THINK_MS="$think" wrk -t 2 -c "$level" -d "${SECONDS_PER_LEVEL}s" --timeout 30s \
      -s bench/load.lua http://127.0.0.1:8960 -- "${walk[1]}" | tail -n 1 | sed 's/^{//'
  done
done

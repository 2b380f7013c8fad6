#!/usr/bin/env bash
# Starts the real server under Deno (the `deno` npm package's binary) and checks
# /health and /ready: once on the embedded default (PGlite, in-memory jobs) and,
# when TEST_DATABASE_URL / TEST_REDIS_URL are set, once on Postgres and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke() {
  local label=$1 port=$2
  shift 2
  local logfile
  logfile=$(mktemp)
  # Its own process group, so stopping it stops npm and deno together.
  setsid env "$@" PORT="$port" HOST=127.0.0.1 LOG_LEVEL=warn npm run --silent start:deno >"$logfile" 2>&1 &
  local pid=$!
  local ok=""
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  local status=0
  if [ -z "$ok" ]; then
    echo "deno ($label): server did not answer /health" >&2
    status=1
  else
    curl -fsS "http://127.0.0.1:$port/health"; echo
    curl -fsS "http://127.0.0.1:$port/ready" || status=1; echo
  fi
  # A graceful shutdown is part of what is checked: SIGTERM must end it within 10 s.
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do pgrep -g "$pid" >/dev/null 2>&1 || break; sleep 0.5; done
  if pgrep -g "$pid" >/dev/null 2>&1; then
    echo "deno ($label): still running 10 s after SIGTERM" >&2
    kill -KILL -- "-$pid" 2>/dev/null || true
    status=1
  fi
  wait "$pid" 2>/dev/null || true
  if [ "$status" != 0 ]; then
    echo "--- server output ($label) ---" >&2
    cat "$logfile" >&2
  else
    echo "deno ($label): /health and /ready answered"
  fi
  rm -f "$logfile"
  return "$status"
}

data_dir=$(mktemp -d)
trap 'rm -rf "$data_dir"' EXIT
smoke embedded 3917 DATA_DIR="$data_dir" DATABASE_URL= REDIS_URL=
if [ -n "${TEST_DATABASE_URL:-}" ] && [ -n "${TEST_REDIS_URL:-}" ]; then
  smoke postgres+redis 3918 DATABASE_URL="$TEST_DATABASE_URL" REDIS_URL="$TEST_REDIS_URL"
fi

# Password hashing runs in worker threads: prove the pool (and the rest of the
# crypto layer) works under Deno too.
npx deno run --allow-read --allow-env --allow-sys src/crypto/__deno__/check.ts

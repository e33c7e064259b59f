#!/usr/bin/env bash
# Fuzzes the API from its own OpenAPI document with Schemathesis, as a user and as an admin.
#
#   scripts/fuzz.sh [sqlite|postgres] [examples per operation]
#
# Every check runs: no server error, no undocumented status or content type, responses and their
# headers as documented, schema-valid requests accepted and schema-violating ones refused (the
# few rules no schema can state are listed in fuzz/schemathesis.toml). AGORA_FUZZ_CHECKS narrows
# the list (docs/security.md).
#
# Starts the server binary (built by `cargo build -p agora`, in $CARGO_TARGET_DIR or ./target)
# on a fresh database and data directory, creates an admin and a user, and runs Schemathesis
# (fuzz/schemathesis.toml, fuzz/hooks.py) once with each account's token. Exits non-zero on any
# failure. PostgreSQL: the database at AGORA_TEST_POSTGRES_URL, in a schema of its own.
# A longer run: scripts/fuzz.sh postgres 500
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
examples=${2:-25}
checks=${AGORA_FUZZ_CHECKS:-all}
target=${CARGO_TARGET_DIR:-target}
binary="$target/debug/agora"
[ -x "$binary" ] || { echo "fuzz: build the server first (cargo build -p agora)" >&2; exit 1; }
command -v schemathesis >/dev/null || { echo "fuzz: schemathesis is not installed (pip install schemathesis)" >&2; exit 1; }

data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export AGORA_FUZZ_BASE_URL="http://127.0.0.1:$port"
export AGORA_LISTEN="127.0.0.1:$port" AGORA_DATA_DIR="$data" AGORA_SECRET_KEY="fuzz-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
export AGORA_RATE_LIMIT_GENERAL="100000/1m" AGORA_RATE_LIMIT_LOGIN="100000/1m"
export AGORA_RATE_LIMIT_REGISTER="100000/1m" AGORA_RATE_LIMIT_PASSWORD_RESET="100000/1m"
export AGORA_LOG_FORMAT=json RUST_LOG=warn
# The fuzzed admin may queue fantasy syncs: they must not reach the real Jolpica API.
export AGORA_FANTASY_JOLPICA_URL="http://127.0.0.1:9/ergast/f1"
schema=""
if [ "$backend" = postgres ]; then
    base=${AGORA_TEST_POSTGRES_URL:-postgres://agora:agora@127.0.0.1:5432/agora_test}
    schema="fuzz_$(date +%s)_$$"
    psql "$base" -qc "CREATE SCHEMA $schema"
    export DATABASE_URL="$base?options[search_path]=$schema"
else
    export DATABASE_URL="sqlite://$data/agora.db"
fi
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ -n "$schema" ] && psql "$base" -qc "DROP SCHEMA $schema CASCADE" || true
    rm -rf "$data"
}
trap cleanup EXIT

password="fuzz-Password-4821"
echo "$password" | "$binary" admin create --username fuzz_admin --email fuzz_admin@example.com --password-stdin >/dev/null
"$binary" serve >"$data/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fs "$AGORA_FUZZ_BASE_URL/health" >/dev/null && break
    sleep 0.1
done
user_id=$(curl -fs "$AGORA_FUZZ_BASE_URL/api/v1/auth/register" -H 'content-type: application/json' \
    -d "{\"username\":\"fuzz_user\",\"email\":\"fuzz_user@example.com\",\"password\":\"$password\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["user"]["id"])')
admin_id=$(curl -fs "$AGORA_FUZZ_BASE_URL/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"fuzz_admin\",\"password\":\"$password\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["user"]["id"])')

status=0
for who in user admin; do
    echo "== fuzzing on $backend as the $who ($examples examples per operation)"
    if [ "$who" = user ]; then export AGORA_FUZZ_USER_ID="$user_id"; else export AGORA_FUZZ_USER_ID="$admin_id"; fi
    export AGORA_FUZZ_EMAIL="fuzz_$who@example.com" AGORA_FUZZ_PASSWORD="$password"
    (cd fuzz && schemathesis --config-file schemathesis.toml run "$AGORA_FUZZ_BASE_URL/openapi.json" \
        --max-examples "$examples" --phases examples,coverage,fuzzing --checks "$checks") || status=1
done
if grep -q '"level":"ERROR"' "$data/server.log"; then
    echo "== the server logged errors:"; grep '"level":"ERROR"' "$data/server.log" | head -20
fi
exit $status

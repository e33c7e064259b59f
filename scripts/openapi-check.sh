#!/usr/bin/env bash
# Proves that the OpenAPI document feeds client generators, as a client developer would use it:
# the document of every module (`agora openapi`) passes Redocly's linter with no error, and the
# TypeScript types openapi-typescript generates from it compile under `tsc --strict`.
#
#   scripts/openapi-check.sh
#
# Needs the server binary (`cargo build -p agora`, in $CARGO_TARGET_DIR or ./target) and npm;
# the tools are installed, at pinned versions, into ~/.cache/agora-npm (outside the clone).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
binary="$target/debug/agora"
[ -x "$binary" ] || { echo "openapi-check: build the server first (cargo build -p agora)" >&2; exit 1; }
command -v npm >/dev/null || { echo "openapi-check: npm is not installed (apt-get install npm)" >&2; exit 1; }

tools="$HOME/.cache/agora-npm"
mkdir -p "$tools"
(cd "$tools" && npm install --silent --no-audit --no-fund \
    @redocly/cli@2.77.0 openapi-typescript@7.13.0 typescript@5.9.3 >/dev/null)
bin="$tools/node_modules/.bin"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$binary" openapi >"$work/openapi.json"
echo "== redocly lint"
"$bin/redocly" lint --config fuzz/redocly.yaml --format stylish "$work/openapi.json"
echo "== openapi-typescript, then tsc --strict"
"$bin/openapi-typescript" "$work/openapi.json" -o "$work/api.d.ts" >/dev/null
"$bin/tsc" --strict --noEmit "$work/api.d.ts"
echo "openapi-check: the document lints clean and its TypeScript types compile"

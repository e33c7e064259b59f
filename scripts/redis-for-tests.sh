#!/usr/bin/env bash
# Makes sure a Redis server answers on 127.0.0.1:6379 for the test suite (AGORA_TEST_REDIS_URL,
# default redis://127.0.0.1:6379): installs it from Debian's packages when missing, starts it
# when nothing answers, keeping nothing on disk. Idempotent.
set -euo pipefail

port=6379

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    echo "installing Redis"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq redis-server >/dev/null
fi

answers() { [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = "PONG" ]; }

if ! answers; then
    echo "starting Redis on 127.0.0.1:$port"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
        --logfile /tmp/agora-test-redis.log
    for _ in $(seq 1 30); do
        answers && break
        sleep 0.5
    done
fi
if ! answers; then
    echo "Redis does not answer on 127.0.0.1:$port (see /tmp/agora-test-redis.log)" >&2
    exit 1
fi
echo "Redis ready for tests"

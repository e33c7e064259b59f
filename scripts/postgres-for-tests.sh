#!/usr/bin/env bash
# Makes sure a PostgreSQL server runs on 127.0.0.1:5432 with the role and database the test
# suite uses (AGORA_TEST_POSTGRES_URL, default postgres://agora:agora@127.0.0.1:5432/agora_test):
# installs it from Debian's packages when missing, starts it when stopped. Idempotent.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing PostgreSQL"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    if [ -z "$version" ]; then
        version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
        pg_createcluster "$version" main
    fi
    echo "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do
        pg_isready -h 127.0.0.1 -p 5432 -q && break
        sleep 1
    done
    pg_isready -h 127.0.0.1 -p 5432
fi

psql_admin() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"; }

if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'agora'")" != "1" ]; then
    psql_admin -c "CREATE ROLE agora LOGIN PASSWORD 'agora'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'agora_test'")" != "1" ]; then
    psql_admin -c "CREATE DATABASE agora_test OWNER agora"
fi
echo "PostgreSQL ready for tests"

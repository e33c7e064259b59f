#!/usr/bin/env bash
# Checks what deploy/ holds: the Prometheus alert rules with promtool (Debian's `prometheus`
# package), the Grafana dashboard as JSON, and that every metric they name is one /metrics
# serves (the names listed in crates/platform/src/telemetry.rs and observability/metrics.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

promtool check rules deploy/prometheus/alerts.yml

python3 - <<'PY'
import json, re, sys
dashboard = json.load(open("deploy/grafana/agora-dashboard.json"))
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
exprs += re.findall(r"expr: \|?\s*\n?((?:.|\n)*?)(?:\n\s+for:)", open("deploy/prometheus/alerts.yml").read())
sources = open("crates/platform/src/telemetry.rs").read() + open("crates/platform/src/observability/metrics.rs").read()
served = set(re.findall(r'"([a-z_]+)",\s*\n?\s*"', sources))
suffixes = ("_total", "_bucket", "_count", "_sum")
missing = set()
for expr in exprs:
    for name in re.findall(r"\b([a-z_]+)(?=\{|\[)", expr):
        base = name
        for suffix in suffixes:
            if base.endswith(suffix):
                base = base[: -len(suffix)]
        if base in served or name in served:
            continue
        if name in {"rate", "sum", "histogram_quantile", "by", "le", "probe_success", "up", "and", "or"}:
            continue
        missing.add(name)
if missing:
    sys.exit(f"deploy/ names metrics /metrics does not serve: {sorted(missing)}")
print(f"dashboard: {len(dashboard['panels'])} panels; every metric named is served")
PY

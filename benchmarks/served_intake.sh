#!/usr/bin/env bash
# API intake served as the side-by-side harness serves it (issue 17): gunicorn with 2 sync workers
# on SQLite, the harness's load generator at concurrency 8, on a fresh copy of the database a
# harness run left behind, so that each try starts from the same rows. One JSON line: req/s, p99,
# the server's CPU per ticket and how busy the host was. With benchmarks/alternate.sh it measures
# a change against its base in a minute (about 1-2 % apart from round to round on a quiet
# machine; the harness itself takes ten):
#
#   benchmarks/alternate.sh cef1740 3 benchmarks/served_intake.sh /tmp/ib/run1/sqlite 3000
#
# HARNESS_SQLITE: a harness run's `sqlite` folder (`ours/` and `ours-credentials.json` in it).
# PYTHONPATH (alternate.sh sets it) chooses the side's code; the venv is this tree's.
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
harness=$1 requests=${2:-3000}
here="$(cd "$(dirname "$0")/.." && pwd)"
loadgen="$here/../shared/peers/django-helpdesk/loadgen.py"
[ -f "$loadgen" ] || loadgen="/work/shared/peers/django-helpdesk/loadgen.py"
work="$(mktemp -d)"
cp -r "$harness/ours" "$work/data"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DJANGO_SETTINGS_MODULE=policydesk.settings POLICYDESK_DATA_DIR="$work/data" \
    POLICYDESK_SECRET_KEY="bench-$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')" \
    POLICYDESK_ALLOWED_HOSTS=127.0.0.1,localhost POLICYDESK_DEBUG=0 \
    POLICYDESK_EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend
PD_TOKEN=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['token'])" "$harness/ours-credentials.json")
export PD_TOKEN
"$here/.venv/bin/gunicorn" policydesk.wsgi:application --workers 2 --bind "127.0.0.1:$port" \
    --log-level warning >"$work/gunicorn.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.2
done
body='{"topic": "troubleshooting", "subject": "API bench ticket {n}", "text": "Ticket-intake load test, request {n}.", "requester_email": "bench{n}@example.com", "priority": "normal"}'
load() {  # load LABEL N [loadgen options]
    local label=$1 n=$2
    shift 2
    python3 "$loadgen" --label "$label" --url "http://127.0.0.1:$port/api/v1/tickets" \
        -H 'Authorization: Bearer ${PD_TOKEN}' -H 'Content-Type: application/json' --body "$body" \
        --expect 201 -n "$n" -c 8 -w 10 "$@" >/dev/null
}
load warm-up 300
load measured "$requests" --cpu-pid "$server" --json-out "$work/run.json"
python3 - "$work/run.json" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))
busy = 100 * run["host_busy_cpu_s"] / run["wall_s"] / run["host_cpus"]
print(json.dumps({
    "req_s": round(run["ok_rps"], 1), "p99_ms": round(run["lat_ms"]["p99"], 1),
    "server_cpu_ms_per_ticket": run["server_cpu_ms_per_ok"], "host_busy_pct": round(busy),
    "errors": run["error_count"],
}))
EOF

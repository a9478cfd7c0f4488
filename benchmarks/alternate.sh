#!/usr/bin/env bash
# Run one benchmark command against an earlier commit and this work tree, alternated, so that
# both sides meet the same machine (issue 17: absolute figures on shared machines move from
# minute to minute; ratios measured together hold).
#
#   benchmarks/alternate.sh BASE ROUNDS COMMAND...
#   benchmarks/alternate.sh b73f780 3 .venv/bin/python benchmarks/intake.py sqlite api 300
#
# BASE is checked out (once) as a git worktree under ${TMPDIR:-/tmp}/policydesk-alternate-BASE;
# COMMAND runs from this tree (its benchmark scripts, its venv) with PYTHONPATH naming the side's
# `src`, base first in each round. Each output line is prefixed with the side and the round.
# TOGETHER=1 runs the two sides of a round at the same time instead (one CPU each on a 2-CPU
# machine): on a machine whose speed drifts from minute to minute both then meet the same drift.
# The command must then keep its databases apart (for example INTAKE_BENCH_DATABASE per side:
# SIDE is set to "base" or "this" for it to use).
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
base=$1 rounds=$2
shift 2
here="$(git rev-parse --show-toplevel)"
tree="${TMPDIR:-/tmp}/policydesk-alternate-$(git rev-parse --short "$base")"
[ -d "$tree" ] || git worktree add -q --detach "$tree" "$base"
echo "# base $(git -C "$tree" rev-parse --short HEAD), this tree $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M) UTC"
run_side() {
    local side=$1 round=$2 src="$here/src"
    shift 2
    [ "$side" = base ] && src="$tree/src"
    SIDE="$side" PYTHONPATH="$src" "$@" 2>/dev/null | sed "s/^/$side $round: /"
}
for round in $(seq "$rounds"); do
    if [ "${TOGETHER:-0}" = 1 ]; then
        out="$(mktemp -d)"
        run_side base "$round" "$@" >"$out/base" &
        run_side this "$round" "$@" >"$out/this" &
        wait
        cat "$out/base" "$out/this"
        rm -r "$out"
    else
        run_side base "$round" "$@"
        run_side this "$round" "$@"
    fi
done
echo "# load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M) UTC"

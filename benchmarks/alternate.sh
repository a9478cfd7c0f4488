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
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
base=$1 rounds=$2
shift 2
here="$(git rev-parse --show-toplevel)"
tree="${TMPDIR:-/tmp}/policydesk-alternate-$(git rev-parse --short "$base")"
[ -d "$tree" ] || git worktree add -q --detach "$tree" "$base"
echo "# base $(git -C "$tree" rev-parse --short HEAD), this tree $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M) UTC"
for round in $(seq "$rounds"); do
    for side in base this; do
        src="$here/src"
        [ "$side" = base ] && src="$tree/src"
        PYTHONPATH="$src" "$@" 2>/dev/null | sed "s/^/$side $round: /"
    done
done
echo "# load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M) UTC"

#!/usr/bin/env bash
# Measures the cost of sharding (README "Beyond one machine"): the CPU time (user + system) of
# N shards of nll and sample over 100,000 rows, summed, over that of one unsharded run, and the
# time of merge; checks that the merged files are byte-identical to the unsharded ones.
# Usage: bash scripts/shard_overhead.sh [N=4] [ROWS=100000]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-4}
ROWS=${2:-100000}
T=$(mktemp -d /tmp/flowbench-overhead.XXXXXX)
trap 'rm -rf "$T"' EXIT
go build -o "$T/fb" ./cmd/flowbench
fb="$T/fb"
"$fb" train --data 8gaussians --out "$T/m.safetensors" --steps 300 --width 64 --depth 2 --batch 512 --threads 1 --quiet >/dev/null
cpu() { /usr/bin/time -f "%U %S %e" -o "$T/time" "$@" >/dev/null; awk '{printf "%.3f %.3f\n", $1 + $2, $3}' "$T/time"; }
for job in nll sample; do
  if [ "$job" = nll ]; then args=(nll --data 8gaussians --n "$ROWS"); ext=csv; else args=(sample --n "$ROWS" --with-logp); ext=npy; fi
  read -r whole wall < <(cpu "$fb" "${args[@]}" --model "$T/m.safetensors" --threads 1 --quiet --out "$T/$job-whole.$ext")
  total=0
  for ((i = 0; i < N; i++)); do
    read -r c _ < <(cpu "$fb" "${args[@]}" --model "$T/m.safetensors" --threads 1 --quiet --out "$T/$job-$i.$ext" --shard "$i/$N")
    total=$(awk -v a="$total" -v b="$c" 'BEGIN{print a + b}')
  done
  parts=()
  for ((i = 0; i < N; i++)); do parts+=("$T/$job-$i.$ext"); done
  read -r mcpu mwall < <(cpu "$fb" merge --out "$T/$job-merged.$ext" "${parts[@]}")
  cmp "$T/$job-whole.$ext" "$T/$job-merged.$ext"
  awk -v j="$job" -v n="$N" -v r="$ROWS" -v w="$whole" -v s="$total" -v mw="$mwall" -v bytes="$(stat -c %s "$T/$job-whole.$ext")" \
    'BEGIN{printf "%s: %d rows, %d shards: unsharded %.2f s CPU, shards %.2f s CPU in all, overhead %.3f; merge %.3f s wall for %d bytes; merged file identical\n", j, r, n, w, s, s / w, mw, bytes}'
done
lscpu | grep "Model name" | sed 's/  */ /g'

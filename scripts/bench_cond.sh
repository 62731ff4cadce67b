#!/usr/bin/env bash
# Runs `flowbench bench cond` beside ../shared/anchors/torch/cond_ref.py bench (the same four
# conditional workloads on gaussian_linear's dimensions) in one run, and keeps the JSON lines
# in bench-results/ with the CPU named.
# Usage: bash scripts/bench_cond.sh [threads, default 1,2]
set -euo pipefail
cd "$(dirname "$0")/.."
thr=${1:-1,2}
out=bench-results; mkdir -p "$out"
CGO_ENABLED=0 go build -o bin/flowbench ./cmd/flowbench
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "{\"cpu\": \"$cpu\", \"nproc\": $(nproc), \"commit\": \"$(git rev-parse --short HEAD)\", \"date\": \"$(date -u +%FT%TZ)\"}" | tee "$out/cond-run.json"
echo "== flowbench bench cond"
bin/flowbench bench cond --threads "$thr" --json | tee "$out/flowbench-cond.jsonl"
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "== cond_ref.py bench"
  /usr/bin/python3 ../shared/anchors/torch/cond_ref.py bench --threads "$thr" --max-wait 0 | tee "$out/torch-cond.jsonl"
else
  echo "PyTorch not installed (apt-get install -y python3-torch): skipping cond_ref.py"
fi

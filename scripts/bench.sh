#!/usr/bin/env bash
# Runs flowbench's benchmark groups beside the anchors in ../shared/anchors, in one run, and
# keeps every JSON line in bench-results/ (the README's figures come from these files).
# Usage: bash scripts/bench.sh [threads, default 1,2] [groups, default "kernels train forward divergence sample nll"]
set -euo pipefail
cd "$(dirname "$0")/.."
thr=${1:-1,2}
groups=${2:-kernels train forward divergence sample nll}
out=bench-results; mkdir -p "$out"
anchors=../shared/anchors
CGO_ENABLED=0 go build -o bin/flowbench ./cmd/flowbench
echo "== FMA peak and OpenBLAS (anchors/limits)"
bash "$anchors/limits/run.sh" all 1 | tee "$out/limits-1.txt"
bash "$anchors/limits/run.sh" openblas 2 | tee "$out/limits-2.txt"
for g in $groups; do
  echo "== flowbench bench $g"
  bin/flowbench bench "$g" --threads "$thr" --json | tee "$out/flowbench-$g.jsonl"
done
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "== PyTorch anchors (anchors/torch/bench.py)"
  /usr/bin/python3 "$anchors/torch/bench.py" --threads "$thr" | tee "$out/torch.jsonl"
else
  echo "PyTorch not installed (apt-get install -y python3-torch): skipping the torch anchors"
fi

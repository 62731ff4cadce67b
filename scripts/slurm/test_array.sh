#!/usr/bin/env bash
# CI test of the Slurm recipe (README "Beyond one machine"): on a fresh single-node cluster
# (cluster.sh, which installs slurm-wlm and munge when missing), trains a small model, runs
# nll and sample as 4-task array jobs (sbatch --array=0-3 --wait, flowbench-array.sbatch),
# merges the shards and compares the merged files byte for byte with one unsharded run.
# Usage: bash scripts/slurm/test_array.sh   (as root)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

if [ "${INSIDE_SLURM_TEST:-}" != 1 ]; then
  T=$(mktemp -d /tmp/flowbench-array.XXXXXX)
  chmod 755 "$T"
  trap 'rm -rf "$T"' EXIT
  go build -o "$T/flowbench" ./cmd/flowbench
  fb="$T/flowbench"
  "$fb" train --data 8gaussians --out "$T/m.safetensors" --steps 200 --width 32 --depth 2 --batch 256 --threads 2 --quiet >/dev/null
  # The unsharded runs.
  "$fb" nll --model "$T/m.safetensors" --data 8gaussians --n 4000 --batch 500 --out "$T/nll-whole.csv" --threads 2 --quiet --json >"$T/nll-whole.json"
  "$fb" sample --model "$T/m.safetensors" --n 4000 --batch 500 --with-logp --out "$T/sample-whole.npy" --threads 2 --quiet --json >"$T/sample-whole.json"
  INSIDE_SLURM_TEST=1 T=$T bash scripts/slurm/cluster.sh bash "$0"
  exit 0
fi

# Inside the cluster (SLURM_CONF set by cluster.sh).
cd "$T"
export FLOWBENCH="$T/flowbench"
sbatch --quiet --wait --array=0-3 --chdir="$T" --output="$T/nll-%a.log" "$root/scripts/slurm/flowbench-array.sbatch" \
  nll --model "$T/m.safetensors" --data 8gaussians --n 4000 --batch 500 --out "$T/nll.csv" --json
sbatch --quiet --wait --array=0-3 --chdir="$T" --output="$T/sample-%a.log" "$root/scripts/slurm/flowbench-array.sbatch" \
  sample --model "$T/m.safetensors" --n 4000 --batch 500 --with-logp --out "$T/sample.npy" --json
ls "$T"/nll.shard-*-of-4.csv "$T"/sample.shard-*-of-4.npy >/dev/null
"$FLOWBENCH" merge --json --out "$T/nll-merged.csv" "$T"/nll.shard-*-of-4.csv >"$T/nll-merged.json"
"$FLOWBENCH" merge --json --out "$T/sample-merged.npy" "$T"/sample.shard-*-of-4.npy >"$T/sample-merged.json"
cmp "$T/nll-whole.csv" "$T/nll-merged.csv"
cmp "$T/sample-whole.npy" "$T/sample-merged.npy"
# The summaries: the same record but for the output's name.
diff <(sed "s|nll-whole.csv|OUT|" "$T/nll-whole.json") <(sed "s|nll-merged.csv|OUT|" "$T/nll-merged.json")
diff <(sed "s|sample-whole.npy|OUT|" "$T/sample-whole.json") <(sed "s|sample-merged.npy|OUT|" "$T/sample-merged.json")
echo "slurm array: 4 shards of nll and sample merged byte-identical to the unsharded runs ($(cat "$T/nll-merged.json"))"

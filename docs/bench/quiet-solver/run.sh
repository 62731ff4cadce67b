#!/usr/bin/env bash
# Quiet side-by-side of issue 4's heavy workloads, interleaved by thread count.
set -u
cd /work/quiet
A=/work/shared/anchors/torch/bench.py
date -u +%FT%TZ > start.txt
for th in 1 2; do
  ./flowbench bench sample --threads $th --json > fb-sample-$th.jsonl 2> fb-sample-$th.err
  ./flowbench bench nll --threads $th --json > fb-nll-$th.jsonl 2> fb-nll-$th.err
  /usr/bin/python3 $A --threads $th --only W-sample-rk4,W-sample-dopri5,W-nll > torch-$th.jsonl 2> torch-$th.err
done
date -u +%FT%TZ > end.txt

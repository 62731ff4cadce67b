#!/usr/bin/env bash
set -u
cd /work/quiet3
A=/work/shared/anchors
date -u +%FT%TZ > start.txt
bash $A/limits/run.sh all 1 > limits-all-1.txt 2>&1
for r in 1 2 3; do
  bash $A/limits/run.sh openblas 1 > limits-1-r$r.txt 2>&1
  ./flowbench bench kernels --threads 1,2 --only sgemm_nn,sgemm_nt,sgemm_tn --json > fb-sgemm-r$r.jsonl 2>&1
  bash $A/limits/run.sh openblas 2 > limits-2-r$r.txt 2>&1
done
./flowbench bench kernels --threads 1,2 --impl all --json > fb-kernels.jsonl 2>fb-kernels.err
for g in train forward divergence; do ./flowbench bench $g --threads 1,2 --json > fb-$g.jsonl 2>fb-$g.err; done
/usr/bin/python3 $A/torch/bench.py --threads 1,2 --only W-gemm,W-train-2d,W-train-64d,W-forward,W-div > torch.jsonl 2> torch.err
for th in 1 2; do
  ./flowbench bench sample --threads $th --json > fb-sample-$th.jsonl 2> fb-sample-$th.err
  ./flowbench bench nll --threads $th --json > fb-nll-$th.jsonl 2> fb-nll-$th.err
done
date -u +%FT%TZ > end.txt

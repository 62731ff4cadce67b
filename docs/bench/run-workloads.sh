#!/usr/bin/env bash
set -u
cd /work/quiet4
date -u +%FT%TZ > start.txt
for g in train forward divergence; do ./flowbench bench $g --threads 1,2 --json > fb-$g.jsonl 2>fb-$g.err; done
for th in 1 2; do
  ./flowbench bench sample --threads $th --json > fb-sample-$th.jsonl 2> fb-sample-$th.err
  ./flowbench bench nll --threads $th --json > fb-nll-$th.jsonl 2> fb-nll-$th.err
done
./flowbench bench kernels --threads 1,2 --only sgemm_tn,sgemm_nn_4096_256_2,silu,tanh --json > fb-kernels.jsonl 2>&1
date -u +%FT%TZ > end.txt

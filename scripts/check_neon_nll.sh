#!/usr/bin/env bash
# Cross-architecture check of the NEON tier end to end: the same short train → sample →
# likelihood run on a toy density, once natively (amd64, its best tier) and once as an
# arm64 binary under qemu-aarch64-static (tier "neon"), must give the same test NLL within
# TOL (default 1e-5 nats, absolute) and samples within STOL (default 1e-4, max abs).
# The tiers round differently (FMA contraction, lane order of reductions), so the runs are
# not bit-identical; observed: NLL differences of about 1e-8 here (1.4e-7 after 150 steps),
# sample differences below 1e-6.
#
# Usage: bash scripts/check_neon_nll.sh   (needs qemu-user-static; about 2–3 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
TOL=${TOL:-1e-5}
STOL=${STOL:-1e-4}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/fb-native" ./cmd/flowbench
GOARCH=arm64 go build -o "$tmp/fb-arm64" ./cmd/flowbench

run() { # $1 tag, rest: command prefix
  local tag=$1
  shift
  mkdir -p "$tmp/$tag"
  "$@" train --data 8gaussians --out "$tmp/$tag/m.safetensors" --steps 40 --batch 128 --threads 1 --seed 3 --json --quiet >"$tmp/$tag/train.json"
  "$@" sample --model "$tmp/$tag/m.safetensors" --n 200 --out "$tmp/$tag/s.csv" --seed 4 --quiet >/dev/null
  "$@" nll --model "$tmp/$tag/m.safetensors" --n 200 --threads 1 --seed 5 --json --quiet | tail -1 >"$tmp/$tag/nll.json"
}
run native "$tmp/fb-native"
run arm64 qemu-aarch64-static "$tmp/fb-arm64"

python3 - "$tmp" "$TOL" "$STOL" <<'PY'
import json, sys
tmp, tol, stol = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
a = json.load(open(tmp + "/native/nll.json"))["nll"]
b = json.load(open(tmp + "/arm64/nll.json"))["nll"]
def rows(p):
    out = []
    for line in open(p):
        try:
            out.append([float(v) for v in line.strip().split(",")])
        except ValueError:
            pass  # header
    return out
sa, sb = rows(tmp + "/native/s.csv"), rows(tmp + "/arm64/s.csv")
sd = max(abs(x - y) for ra, rb in zip(sa, sb) for x, y in zip(ra, rb)) if sa and len(sa) == len(sb) else float("inf")
print("NLL native %.9f  arm64/neon %.9f  |diff| %.3g (tol %g); samples max |diff| %.3g (tol %g)" % (a, b, abs(a - b), tol, sd, stol))
sys.exit(0 if abs(a - b) <= tol and sd <= stol else 1)
PY

#!/usr/bin/env bash
# The project's test command (README): installs what the tests need, then runs every check.
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need+=(python3-torch)
/usr/bin/python3 -c 'import scipy' >/dev/null 2>&1 || need+=(python3-scipy)
/usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1 || need+=(python3-sklearn)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
command -v zsh >/dev/null 2>&1 || need+=(zsh)   # the completion scripts are checked in each shell
command -v fish >/dev/null 2>&1 || need+=(fish)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
fi
go mod download
(cd kernels/asm && go mod download)

echo "== go vet"
go vet ./...
(cd kernels/asm && go vet ./...)
# go.mod declares the oldest Go the module builds with (README "Which Go"): build
# with that release, fetched from the module proxy as a toolchain (about 80 CPU-seconds cold).
oldest=$(go mod edit -json | sed -n 's/^\t"Go": "\(.*\)",$/\1/p')
echo "== go build with go$oldest, go.mod's go line"
GOTOOLCHAIN="go$oldest" go build ./...
echo "== go test ./..."
go test -count=1 ./...
echo "== go test -short -tags purego ./..."
go test -count=1 -short -tags purego ./...
echo "== go test -race"
go test -count=1 -race -short ./internal/... ./kernels/... ./nn/... ./solver/... ./interp/... ./dataset/... ./metrics/... ./mle/... ./gen/... ./compare/... ./coupling/... ./serve/... ./sbi/... ./cmd/...
echo "== arm64: vet, NEON tier and pure-Go path under qemu"
GOARCH=arm64 go vet ./... && GOARCH=arm64 go vet -tags purego ./...
GOARCH=arm64 go test -count=1 -short -exec qemu-aarch64-static ./kernels/... ./nn/...
GOARCH=arm64 go test -count=1 -short -tags purego -exec qemu-aarch64-static ./kernels/
FLOWBENCH_KERNELS=go GOARCH=arm64 go test -count=1 -short -exec qemu-aarch64-static -run 'NEONIsDefault|ActAccuracySweep' ./kernels/
bash scripts/check_neon_words.sh
bash scripts/check_neon_nll.sh
echo "== fuzz targets, briefly"
# Go's fuzzer sometimes ends a time-bounded run with a bare "context deadline exceeded" when
# an input is still executing at the deadline (no failing input is written): that run is
# retried once. A real failure ("Failing input written to ...") fails at once.
fuzz() {
  local log
  for try in 1 2; do
    log=$(go test -count=1 -run '^$' -fuzz "^$1\$" -fuzztime "${FUZZTIME:-8s}" "$2" 2>&1) && { echo "$log" | tail -1; return 0; }
    echo "$log"
    if echo "$log" | grep -q "Failing input" || ! echo "$log" | grep -q "context deadline exceeded"; then return 1; fi
    echo "== $1: fuzzer deadline flake (no failing input), retrying once"
  done
  return 1
}
fuzz FuzzGemm ./kernels
fuzz FuzzAct ./kernels
fuzz FuzzVec ./kernels
fuzz FuzzLoadCheckpoint ./nn
fuzz FuzzParse ./interp
fuzz FuzzSolve ./solver
fuzz FuzzCSV ./dataset
fuzz FuzzNPY ./dataset
fuzz FuzzIDX ./dataset
fuzz FuzzGzip ./dataset
fuzz FuzzModelMetadata ./gen
fuzz FuzzDecode ./serve
echo "== smoke: flowbench bench objectives (both objectives, tiny budget)"
go run ./cmd/flowbench bench objectives --data 8gaussians --budget 2 --every 0.5 --width 16 --depth 2 --batch 64 --test-n 200 --png - --json >/dev/null
if [ "$(id -u)" = 0 ]; then
  echo "== slurm: a 4-task array job of sharded nll and sample on a single-node cluster, merged and compared with one run"
  bash scripts/slurm/test_array.sh
else
  echo "== slurm: skipped (cluster.sh needs root to start munged and slurmd)"
fi
echo "== regenerate Avo output and check for a diff"
(cd kernels/asm && go generate ./...)
git diff --exit-code -- kernels || { echo "generated assembly differs from the committed files: rerun 'cd kernels/asm && go generate ./...'"; exit 1; }
echo "== all checks passed"

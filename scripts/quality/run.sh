#!/usr/bin/env bash
# Quality benchmark on real tables: does flowbench with no flags beat a Gaussian?
#
#   scripts/quality/run.sh [--tables iris,wine,...] [--methods gauss,torch,flowbench,mle]
#                          [--out DIR] [--flowbench BIN] [--results FILE] [--timeout S]
#                          [--torch-steps N] [--threads N] [--train-nll-n N] [--train-all]
#                          [--mle-budget S] [--mle-args "FLAGS"] [--no-check]
#
# Per table (scripts/quality/tables.py writes a fixed, seeded 80/20 split, standardized by the
# training rows, headerless CSV) it runs:
#   gauss      the full-covariance Gaussian fitted on the training rows (closed form, gauss.py)
#   torch      the PyTorch reference tabular_ref.py (3x256 SiLU, Adam 1e-3, batch 512): a fixed
#              3000-step run and an early-stopped run (validation = last 10% of the train file)
#   flowbench  `flowbench train --data T_train.csv --out m.safetensors` with NO other flag, then
#              `flowbench nll --model m --data T_test.csv --split all` (the test NLL),
#              `... --data T_train.csv --split train` (the rows the optimizer saw: the training NLL,
#              which exposes memorization; at most the first --train-nll-n rows of that split,
#              default 2000) and with --train-all `... --data T_train.csv --split all` too;
#              wall-clock training time; the defaults actually used, read back with `flowbench info`.
#   mle        this engine's maximum-likelihood objective at equal wall-clock time: the same,
#              with `--objective mle --time-limit S` (and --mle-args, default none: the table
#              defaults and the MLE objective's own defaults, adjoint gradient), S the training
#              time (elapsed_s, validation included) of the flowbench run on the same table in
#              this run, or --mle-budget S; then the same NLLs.
# One JSON line per table and method goes to the results file (default DIR/results.jsonl), then a
# Markdown table is printed (report.py). All NLLs are nats per row in the standardized units.
#
# FLOWBENCH_LABEL (free text, e.g. the commit the binary was built from) is recorded with the run.
# Defaults: all tables, all methods, DIR=/tmp/flowbench-quality, FLOWBENCH=$FLOWBENCH or a binary
# built from this checkout into DIR/bin, a 1200 s limit per command (recorded as "timeout").
# The generated split is checked against docs/quality/manifest.json (SHA-256 of every CSV)
# unless --no-check; a mismatch is reported, not fatal (BLAS differences can move the last digit
# of the PCA table).
# Installs what is missing: python3-sklearn, python3-torch (torch method), dataset-fashion-mnist
# (fashion_pca16). Long runs: `nice -n 10 scripts/quality/run.sh ...`.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tables=iris,wine,breast_cancer,diabetes,digits,fashion_pca16
methods=gauss,torch,flowbench,mle
out=/tmp/flowbench-quality
fb=${FLOWBENCH:-}
results=
limit=1200
tsteps=3000
threads=2
trainn=2000
trainall=0
check=1
mlebudget=
mleargs=
ref=${TABULAR_REF:-}
while [ $# -gt 0 ]; do
  case $1 in
    --tables) tables=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --flowbench) fb=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --torch-steps) tsteps=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --train-nll-n) trainn=$2; shift 2 ;;
    --train-all) trainall=1; shift ;;
    --no-check) check=0; shift ;;
    --mle-budget) mlebudget=$2; shift 2 ;;
    --mle-args) mleargs=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
has() { case ",$methods," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
mkdir -p "$out/models" "$out/logs"
results=${results:-$out/results.jsonl}
PY=/usr/bin/python3

# --- what is needed
need=()
$PY -c 'import sklearn, numpy' 2>/dev/null || need+=(python3-sklearn)
if has torch; then $PY -c 'import torch' 2>/dev/null || need+=(python3-torch); fi
case ",$tables," in *,fashion_pca16,*) [ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist) ;; esac
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y "${need[@]}" >"$out/logs/apt.log" 2>&1 ||
    { apt-get update >>"$out/logs/apt.log" 2>&1 && apt-get install -y "${need[@]}" >>"$out/logs/apt.log" 2>&1; } ||
    { echo "run.sh: apt-get install ${need[*]} failed (see $out/logs/apt.log)" >&2; exit 1; }
fi
if has torch && [ -z "$ref" ]; then
  for c in "$repo/shared/anchors/torch/tabular_ref.py" "$repo/../shared/anchors/torch/tabular_ref.py" /work/shared/anchors/torch/tabular_ref.py; do
    [ -f "$c" ] && { ref=$c; break; }
  done
  [ -n "$ref" ] || { echo "run.sh: tabular_ref.py not found (set TABULAR_REF)" >&2; exit 1; }
fi
if has flowbench || has mle; then
  if [ -z "$fb" ]; then
    fb=$out/bin/flowbench
    echo "building $fb from $repo" >&2
    (cd "$repo" && go build -o "$fb" ./cmd/flowbench) || { echo "run.sh: go build failed" >&2; exit 1; }
  fi
  [ -x "$fb" ] || { echo "run.sh: flowbench binary $fb is not executable" >&2; exit 1; }
fi

# --- tables
ckarg=()
[ $check = 1 ] && [ -f "$repo/docs/quality/manifest.json" ] && ckarg=(--check "$repo/docs/quality/manifest.json")
$PY "$here/tables.py" --out "$out/data" --tables "$tables" "${ckarg[@]}" 2>&1 | tee "$out/logs/tables.log" >&2
split_ok=$([ ${PIPESTATUS[0]} = 0 ] && echo true || echo false)

# json KEY=VALUE... : one JSON object; VALUE is parsed as JSON when it parses, else kept as a string;
# @FILE merges the last JSON object line of FILE.
json() { $PY - "$@" <<'EOF'
import json, sys
o = {}
for a in sys.argv[1:]:
    if a.startswith("@"):
        try:
            lines = [l for l in open(a[1:]) if l.strip().startswith("{")]
            if lines: o.update(json.loads(lines[-1]))
        except (OSError, ValueError):
            pass
        continue
    k, _, v = a.partition("=")
    try: o[k] = json.loads(v)
    except ValueError: o[k] = v
print(json.dumps(o))
EOF
}
now() { date +%s.%N; }
since() { $PY -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$1" "$(now)"; }
status_of() { case $1 in 0) echo ok ;; 124|137) echo timeout ;; *) echo error ;; esac; }
# jget FILE KEY: a field of the last JSON line of FILE (JSON text, null when absent)
jget() { $PY - "$1" "$2" <<'EOF'
import json, sys
try:
    lines = [l for l in open(sys.argv[1]) if l.strip().startswith("{")]
    v = json.loads(lines[-1])
    for k in sys.argv[2].split("."): v = v[k]
except Exception: v = None
print(json.dumps(v))
EOF
}

# fbrun METHOD TAG FLAGS [ARGS...]: `flowbench train --data T_train.csv --out m ARGS...` (FLAGS
# is how the record names ARGS), then the test NLL, the NLL of the rows fitted and the settings
# read back with `flowbench info`; one JSON line to the results (uses t, tr, te, shape).
fbrun() {
  local method=$1 tag=$2 flags=$3; shift 3
  local m=$out/models/$t.$tag.safetensors lg=$out/logs/$t.$tag
  rm -f "$m"
  local s; s=$(now)
  timeout "$limit" "$fb" train --data "$tr" --out "$m" "$@" >"$lg.train.log" 2>&1
  local rc=$? train_s; train_s=$(since "$s")
  local st; st=$(status_of $rc)
  s=$(now)
  local nt=null nf=null na=null cfg=null
  rm -f "$lg.info.json" "$lg.test.json" "$lg.fit.json" "$lg.trainall.json"
  if [ "$st" = ok ]; then
    "$fb" info "$m" --json >"$lg.info.json" 2>/dev/null
    cfg=$($PY - "$lg.info.json" <<'EOF'
import json, sys
try:
    i = json.load(open(sys.argv[1])); c = i.get("train", {}); d = i.get("data", {}); s = i.get("state", {})
    print(json.dumps({k: c.get(k) for k in ("steps", "batch", "lr", "schedule", "ema", "val_every", "patience")}
                     | {k: (c.get("net") or {}).get(k) for k in ("width", "depth")}
                     | {"rows_fitted": (d.get("stats") or {}).get("n"), "split": d.get("split"), "steps_done": s.get("step"),
                        "elapsed_s": s.get("elapsed_s"), "val_s": s.get("val_s"), "best_step": s.get("best_step"),
                        "time_limited": s.get("time_limited", False), "stopped_early": s.get("stopped_early", False)}))
except Exception: print("null")
EOF
)
    nll() { timeout "$limit" "$fb" nll --model "$m" --json --quiet "$@"; }
    nll --n 100000000 --data "$te" --split all >"$lg.test.json" 2>"$lg.test.err"
    st=$(status_of $?)
    # the training rows the optimizer saw; a binary that keeps no split of the file: all of it
    nll --n "$trainn" --data "$tr" --split train >"$lg.fit.json" 2>"$lg.fit.err" ||
      nll --n "$trainn" --data "$tr" --split all >"$lg.fit.json" 2>>"$lg.fit.err"
    [ $trainall = 1 ] && nll --n 100000000 --data "$tr" --split all >"$lg.trainall.json" 2>"$lg.trainall.err"
    nt=$(jget "$lg.test.json" nll)
    nf=$(jget "$lg.fit.json" nll)
    na=$(jget "$lg.trainall.json" nll)
  fi
  json "${shape[@]}" method="$method" status="$st" train_s="$train_s" flags="$flags" \
    nll_test="$nt" se_test="$(jget "$lg.test.json" nll_stderr)" \
    nll_fit="$nf" n_fit="$(jget "$lg.fit.json" n)" nll_train_all="$na" \
    train_log_tail="$(tail -2 "$lg.train.log" | tr '\n' ' ')" config="$cfg" \
    nll_eval_s="$(since "$s")" | tee -a "$results"
}

t_all=$(now)
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
fbsha=null; fbver=null
if has flowbench || has mle; then fbsha=\"$(sha256sum "$fb" | cut -c1-64)\"; fi
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
: >"$results"
json method=run started="$(date -u +%FT%TZ)" cpu="$cpu" nproc="$(nproc)" repo_commit="$commit" \
  flowbench="${fb:-}" flowbench_sha256="$fbsha" flowbench_label="${FLOWBENCH_LABEL:-}" tables="$tables" methods="$methods" split_check="$split_ok" \
  torch_steps="$tsteps" timeout_s="$limit" train_nll_n="$trainn" mle_budget="${mlebudget:-flowbench}" mle_args="$mleargs" >>"$results"

IFS=, read -r -a tlist <<<"$tables"
for t in "${tlist[@]}"; do
  tr=$out/data/${t}_train.csv te=$out/data/${t}_test.csv
  [ -f "$tr" ] || { echo "run.sh: $tr missing" >&2; continue; }
  shape=(table="$t" rows_train="$(wc -l <"$tr")" rows_test="$(wc -l <"$te")" dim="$(head -1 "$tr" | tr ',' '\n' | wc -l)")
  if has gauss; then
    $PY "$here/gauss.py" "$tr" "$te" >"$out/logs/$t.gauss.json"
    json "${shape[@]}" method=gauss @"$out/logs/$t.gauss.json" status=ok | tee -a "$results"
  fi
  if has torch; then
    s=$(now)
    timeout "$limit" $PY "$ref" "$tr" "$te" --steps "$tsteps" --threads "$threads" >"$out/logs/$t.torch.json" 2>"$out/logs/$t.torch.err"
    rc=$?
    json "${shape[@]}" method=torch status="$(status_of $rc)" wall_s="$(since "$s")" @"$out/logs/$t.torch.json" | tee -a "$results"
  fi
  fb_elapsed=null
  if has flowbench; then
    fbrun flowbench fb none
    fb_elapsed=$(jget "$out/logs/$t.fb.info.json" state.elapsed_s)
  fi
  if has mle; then
    budget=$mlebudget
    [ -z "$budget" ] && [ "$fb_elapsed" != null ] && budget=$fb_elapsed
    if [ -z "$budget" ]; then
      echo "run.sh: $t: no budget for mle (run flowbench in the same run, or give --mle-budget)" >&2
      json "${shape[@]}" method=mle status=error error="no budget: flowbench not run and no --mle-budget" | tee -a "$results"
    else
      # shellcheck disable=SC2206
      extra=($mleargs)
      fbrun mle mle "--objective mle --time-limit $budget${mleargs:+ $mleargs}" --objective mle --time-limit "$budget" "${extra[@]}"
    fi
  fi
done
json method=run finished="$(date -u +%FT%TZ)" total_s="$(since "$t_all")" >>"$results"

echo >&2
echo "results: $results (total $(since "$t_all") s)" >&2
echo "CPU: $cpu ($(nproc) cores); repo $commit; flowbench ${fb:-not run}" >&2
echo
$PY "$here/report.py" "$results"

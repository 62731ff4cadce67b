#!/usr/bin/env python3
"""Choose defaults without the test part: K-fold cross-validation inside a table's TRAIN file.

  /usr/bin/python3 scripts/quality/cv.py --flowbench BIN --data DIR --tables diabetes,iris \\
      --folds 3 --config base= --config wd3="--wd 1e-3" [--out DIR/cv] [--results FILE]

For every table, fold k (a seeded permutation of the train file's rows, seed 1000 + k-th part):
the other folds are written as a sub-train CSV, fold k as a tuning CSV; for every --config
NAME=FLAGS, `flowbench train --data SUB --out M FLAGS` (the table defaults apart from FLAGS),
then `flowbench nll --model M --data TUNE --split all`. One JSON line per table, fold and
config (tuning NLL, its standard error, training time, the run's summary), then a table of the
mean over folds and the mean paired difference to the first config with its standard error.
The test CSVs are never read. --reuse skips a run already made with the same binary and flags.
"""
import argparse, json, math, os, shlex, subprocess, sys, time
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--flowbench", required=True)
ap.add_argument("--data", required=True, help="directory of NAME_train.csv (scripts/quality/tables.py)")
ap.add_argument("--tables", required=True)
ap.add_argument("--folds", type=int, default=3)
ap.add_argument("--config", action="append", default=[], help="NAME=FLAGS (first: the reference)")
ap.add_argument("--out", default="")
ap.add_argument("--results", default="")
ap.add_argument("--seed", type=int, default=1000)
ap.add_argument("--reuse", action="store_true", help="reuse a run of the same binary and flags made before (runs are deterministic)")
a = ap.parse_args()
out = a.out or os.path.join(a.data, "..", "cv")
os.makedirs(out, exist_ok=True)
res = open(a.results or os.path.join(out, "cv.jsonl"), "a")
cfgs = [c.partition("=")[::2] for c in a.config] or [("base", "")]
summary, rows = {}, {}
for t in a.tables.split(","):
    x = np.loadtxt(os.path.join(a.data, f"{t}_train.csv"), delimiter=",", ndmin=2)
    perm = np.random.default_rng(a.seed).permutation(len(x))
    parts = np.array_split(perm, a.folds)
    for k in range(a.folds):
        sub, tune = os.path.join(out, f"{t}_f{k}_sub.csv"), os.path.join(out, f"{t}_f{k}_tune.csv")
        rest = np.concatenate([p for i, p in enumerate(parts) if i != k])
        np.savetxt(sub, x[rest], delimiter=",", fmt="%.9g")
        np.savetxt(tune, x[parts[k]], delimiter=",", fmt="%.9g")
        for name, flags in cfgs:
            m = os.path.join(out, f"{t}_f{k}_{name}.safetensors")
            sc = m + ".scores.csv"
            if a.reuse and os.path.exists(m + ".json") and os.path.exists(sc):
                rec = json.load(open(m + ".json"))
                if rec.get("flags") == flags and rec.get("flowbench") == a.flowbench and "nll_tune" in rec:
                    rows.setdefault(t, {}).setdefault(name, {})[k] = -np.loadtxt(sc, skiprows=1, ndmin=1)
                    summary.setdefault(t, {}).setdefault(name, [None] * a.folds)[k] = rec["nll_tune"]
                    continue
            s = time.time()
            tr = subprocess.run([a.flowbench, "train", "--data", sub, "--out", m, "--json", "--quiet"] + shlex.split(flags),
                                capture_output=True, text=True)
            el = time.time() - s
            rec = {"table": t, "fold": k, "config": name, "flags": flags, "flowbench": a.flowbench, "train_wall_s": round(el, 1)}
            if tr.returncode == 0:
                rec["summary"] = json.loads(tr.stdout.strip().splitlines()[-1])
                nl = subprocess.run([a.flowbench, "nll", "--model", m, "--data", tune, "--split", "all", "--json", "--quiet",
                                     "--n", "100000000", "--out", sc], capture_output=True, text=True)
                if nl.returncode == 0:
                    j = json.loads(nl.stdout.strip().splitlines()[-1])
                    rec["nll_tune"], rec["se_tune"] = j["nll"], j.get("nll_stderr")
                    rows.setdefault(t, {}).setdefault(name, {})[k] = -np.loadtxt(sc, skiprows=1, ndmin=1)
                else:
                    rec["error"] = nl.stderr[-300:]
            else:
                rec["error"] = tr.stderr[-300:]
            print(json.dumps(rec), file=res, flush=True)
            with open(m + ".json", "w") as f:
                json.dump(rec, f)
            print(json.dumps({k2: rec.get(k2) for k2 in ("table", "fold", "config", "nll_tune", "train_wall_s", "error")}), file=sys.stderr)
            summary.setdefault(t, {}).setdefault(name, [None] * a.folds)[k] = rec.get("nll_tune")

# Every train row is in exactly one tuning fold: means over all rows, and the per-row paired
# difference to the first config with its standard error.
print("| table | config | tuning NLL (all rows) | per fold | paired diff to " + cfgs[0][0] + " (± se) |")
print("|---|---|--:|---|--:|")
for t, by in summary.items():
    ref = rows.get(t, {}).get(cfgs[0][0], {})
    for name, _ in cfgs:
        v = rows.get(t, {}).get(name, {})
        folds = " ".join("—" if f is None else f"{f:.2f}" for f in by[name])
        if len(v) < a.folds or len(ref) < a.folds:
            print(f"| {t} | {name} | incomplete | {folds} | |")
            continue
        x = np.concatenate([v[k] for k in range(a.folds)])
        d = x - np.concatenate([ref[k] for k in range(a.folds)])
        print(f"| {t} | {name} | {x.mean():.3f} | {folds} | {d.mean():+.3f} ± {d.std(ddof=1) / math.sqrt(len(d)):.3f} |")

#!/usr/bin/env python3
"""Markdown table of a quality results file (JSON lines written by scripts/quality/run.sh).
  python3 scripts/quality/report.py RESULTS.jsonl [MORE.jsonl ...]   (later lines win per table and method)
Columns: NLL in nats per row (lower is better), ± one standard error where known; a method that was
not run shows "—", one that ran out of time "timeout", one that failed "error". "MLE, equal time" is
the mle method: --objective mle for the flowbench run's training time.
"""
import json, sys

rows, order = {}, []
for path in sys.argv[1:]:
  with open(path) as f:
    for line in f:
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        if r.get("method") == "run":
            continue
        t = r["table"]
        if t not in rows:
            rows[t] = {}
            order.append(t)
        rows[t][r["method"]] = r


def num(r, key, se=None, digits=2):
    if r is None:
        return "—"
    if r.get("status", "ok") != "ok":
        return r.get("status")
    v = r.get(key)
    if v is None:
        return "n/a"
    f = (lambda x: f"{x:.3g}") if abs(v) >= 1e5 else (lambda x: f"{x:.{digits}f}")
    s = f(v)
    if se and r.get(se) is not None:
        s += f" ± {f(r[se])}"
    return s


def mle_steps(r):
    """The MLE run's steps and the time limit it was given, from its recorded flags."""
    if r is None:
        return "—"
    c = r.get("config") or {}
    lim = next((f.split()[0] for f in ("" + str(r.get("flags", ""))).split("--time-limit ")[1:]), "?")
    return f"{c.get('steps_done', '?')} ({lim})"


hdr = ["table", "rows train/test", "cols", "Gaussian test NLL", "torch fixed 3000", "torch early-stopped",
       "flowbench test NLL", "flowbench train NLL (fitted rows)", "flowbench train s",
       "MLE, equal time: test NLL", "MLE steps (budget s)"]
print("| " + " | ".join(hdr) + " |")
print("|" + "|".join(["---"] + ["--:"] * (len(hdr) - 1)) + "|")
for t in order:
    m = rows[t]
    g, to, fb, ml = m.get("gauss"), m.get("torch"), m.get("flowbench"), m.get("mle")
    any_ = g or to or fb or ml or {}
    shape = f"{any_.get('rows_train', '?')}/{any_.get('rows_test', '?')}"
    train_s = "—" if fb is None else (f"{fb['train_s']:.0f}" if fb.get("train_s") is not None else "n/a")
    if fb is not None and fb.get("status", "ok") != "ok":
        train_s = f"{fb['status']} ({train_s})" if fb.get("train_s") is not None else fb["status"]
    print("| " + " | ".join([t, shape, str(any_.get("dim", "?")), num(g, "nll_test", "se_test"),
                               num(to, "nll_fixed", "se_fixed"), num(to, "nll_early_stopped", "se_es"),
                               num(fb, "nll_test", "se_test"), num(fb, "nll_fit"), train_s,
                               num(ml, "nll_test", "se_test"), mle_steps(ml)]) + " |")

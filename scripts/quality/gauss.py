#!/usr/bin/env python3
"""Closed-form baseline: the full-covariance Gaussian fitted by maximum likelihood on the training
rows (mean, covariance with 1/n), its mean NLL in nats per row on the test rows and on the training
rows, the same formula as /work/shared/anchors/torch/tabular_ref.py's gauss_nll.
  /usr/bin/python3 scripts/quality/gauss.py TRAIN.csv TEST.csv     (prints one JSON line)
A column constant on the training rows (value c) is a point mass there: it is left out of the
covariance and adds 0 nats to a row that holds c (log 1), +inf to one that does not (reported as
test_rows_off_constant); "constant_columns" lists them. tabular_ref.py's gauss_nll has no such rule
(its Cholesky fails); scripts/quality/tables.py drops these columns, so its tables are unaffected.
A singular covariance of the other columns gives null NLLs and an "error" field instead of failing.
"""
import json, math, sys
import numpy as np

tr = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float64, ndmin=2)
te = np.loadtxt(sys.argv[2], delimiter=",", dtype=np.float64, ndmin=2)
const = [j for j in range(tr.shape[1]) if np.all(tr[:, j] == tr[0, j])]
out = {"rows_train": len(tr), "rows_test": len(te), "dim": tr.shape[1]}
off = np.zeros(len(te), dtype=bool)
if const:
    off = np.any(te[:, const] != tr[0, const], axis=1)
    out["constant_columns"], out["test_rows_off_constant"] = const, int(off.sum())
    var = [j for j in range(tr.shape[1]) if j not in const]
    tr, te = tr[:, var], te[:, var]
d = tr.shape[1]
try:
    m = tr.mean(0)
    L = np.linalg.cholesky(np.cov(tr.T, bias=True).reshape(d, d))
    half_logdet = float(np.log(np.diag(L)).sum())

    def nll(x, off=None):
        z = np.linalg.solve(L, (x - m).T)
        per = 0.5 * (z * z).sum(0) + half_logdet + 0.5 * d * math.log(2 * math.pi)
        if off is not None:
            per = np.where(off, np.inf, per)
        return float(per.mean()), float(per.std(ddof=1) / math.sqrt(len(per))) if len(per) > 1 else None

    out["nll_test"], out["se_test"] = nll(te, off)
    out["nll_train"], _ = nll(tr)
    out["finite"] = bool(np.isfinite(out["nll_test"]))
except np.linalg.LinAlgError as e:
    out.update(nll_test=None, nll_train=None, finite=False, error=f"covariance not positive definite: {e}")
print(json.dumps(out))

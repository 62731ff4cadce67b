#!/usr/bin/env python3
"""Closed-form baseline: the full-covariance Gaussian fitted by maximum likelihood on the training
rows (mean, covariance with 1/n), its mean NLL in nats per row on the test rows and on the training
rows, the same formula as /work/shared/anchors/torch/tabular_ref.py's gauss_nll.
  /usr/bin/python3 scripts/quality/gauss.py TRAIN.csv TEST.csv     (prints one JSON line)
A singular covariance gives null NLLs and an "error" field instead of failing.
"""
import json, math, sys
import numpy as np

tr = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float64, ndmin=2)
te = np.loadtxt(sys.argv[2], delimiter=",", dtype=np.float64, ndmin=2)
d = tr.shape[1]
out = {"rows_train": len(tr), "rows_test": len(te), "dim": d}
try:
    m = tr.mean(0)
    L = np.linalg.cholesky(np.cov(tr.T, bias=True).reshape(d, d))
    half_logdet = float(np.log(np.diag(L)).sum())

    def nll(x):
        z = np.linalg.solve(L, (x - m).T)
        per = 0.5 * (z * z).sum(0) + half_logdet + 0.5 * d * math.log(2 * math.pi)
        return float(per.mean()), float(per.std(ddof=1) / math.sqrt(len(per))) if len(per) > 1 else None

    out["nll_test"], out["se_test"] = nll(te)
    out["nll_train"], _ = nll(tr)
    out["finite"] = bool(np.isfinite(out["nll_test"]))
except np.linalg.LinAlgError as e:
    out.update(nll_test=None, nll_train=None, finite=False, error=f"covariance not positive definite: {e}")
print(json.dumps(out))

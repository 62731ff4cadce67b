#!/usr/bin/env python3
"""Export the real tables of the quality benchmark as fixed train/test CSV pairs.

  /usr/bin/python3 scripts/quality/tables.py [--out DIR] [--tables a,b,...] [--seed 0] [--check MANIFEST]

Every table comes from a Debian package and works offline:
  iris, wine, breast_cancer, diabetes, digits   python3-sklearn's bundled data (features only,
                                                no target column; diabetes unscaled)
  fashion_pca16                                 dataset-fashion-mnist (/usr/share/datasets/fashion-mnist):
                                                a seeded subset of 10000 of the 70000 images, projected
                                                on the 16 leading principal components of its training
                                                rows (784 raw pixels is too many columns for an exact-
                                                divergence NLL on 2 cores)

digits_std64 is digits as a user would standardize it (64 columns, the constant ones kept, as 0),
on digits' split.

For each table: a seeded permutation (numpy default_rng(seed + table index; digits_std64: digits' index)), the first 20% of it
(rounded) is the test part, the rest the train part, both in the permuted order. Columns that are
constant on the training rows are dropped (digits has pixels that are always 0: no density is
finite on them). Then every column is standardized by the TRAINING rows' mean and standard
deviation (ddof 0), and both parts are written as headerless, comma-separated CSV with 9
significant digits:  DIR/NAME_train.csv, DIR/NAME_test.csv.
Nothing is dequantized (digits: integers 0..16; iris and diabetes have heavy ties and diabetes a
two-valued column); the manifest says so per table.

DIR/manifest.json lists rows, columns, dropped columns, notes and the SHA-256 of each CSV. With
--check M the new manifest's hashes are compared with those of M (exit 1 on any difference).
"""
import argparse, gzip, hashlib, json, os, sys
import numpy as np

FASHION = "/usr/share/datasets/fashion-mnist"
ORDER = ["iris", "wine", "breast_cancer", "diabetes", "digits", "fashion_pca16", "digits_std64"]
# digits_std64 is digits on digits' split (same seed) as a user would standardize it: all 64
# columns kept, a column constant on the training rows scaled by 1 (scikit-learn's
# StandardScaler), so the always-zero pixels stay 0.
SPLIT_OF = {"digits_std64": "digits"}
KEEP_CONSTANT = {"digits_std64"}


def sk(name):
    from sklearn import datasets as D
    if name == "diabetes":
        return D.load_diabetes(return_X_y=True, scaled=False)[0]
    return getattr(D, "load_" + name)(return_X_y=True)[0]


def idx_images(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    n, r, c = (int.from_bytes(b[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(b, dtype=np.uint8, offset=16).reshape(n, r * c)


def fashion_pca(seed, n_keep=10000, k=16):
    """Rows and the train/test split are returned together: the PCA is fitted on training rows."""
    x = np.concatenate([idx_images(os.path.join(FASHION, "train-images-idx3-ubyte.gz")),
                        idx_images(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz"))]).astype(np.float64)
    rng = np.random.default_rng(seed)
    x = x[rng.permutation(len(x))[:n_keep]]
    return x, k


NOTES = {
    "iris": "measurements to 0.1 cm: many ties, one duplicated row",
    "wine": "chemical measurements, few decimals",
    "breast_cancer": "30 real-valued cell-nucleus features",
    "diabetes": "unscaled; column 2 (sex) takes 2 values: discrete, a flow can concentrate mass on it",
    "digits": "8x8 pixel counts 0..16, NOT dequantized (export as is); train-constant pixels dropped",
    "digits_std64": "digits' rows and split, all 64 columns standardized by the training rows; the 3 "
                    "columns constant on them (always-zero pixels) scaled by 1, so they stay 0: a user's "
                    "standardized table; lattice values, NOT dequantized",
    "fashion_pca16": "10000-image seeded subset of Fashion-MNIST (train+t10k), raw pixels 0..255 not "
                     "dequantized, projected on the top 16 principal components of the training rows",
}


def split(n, seed):
    perm = np.random.default_rng(seed).permutation(n)
    nt = int(round(0.2 * n))
    return perm[nt:], perm[:nt]


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def export(name, seed, out):
    k = None
    if name == "fashion_pca16":
        x, k = fashion_pca(seed)
    else:
        x = np.asarray(sk(SPLIT_OF.get(name, name)), dtype=np.float64)
    tr_i, te_i = split(len(x), seed)
    tr, te = x[tr_i], x[te_i]
    if k is not None:  # PCA on the training rows only
        mu = tr.mean(0)
        _, s, vt = np.linalg.svd(tr - mu, full_matrices=False)
        w = vt[:k].T
        for j in range(k):  # sign convention: largest |loading| positive (deterministic output)
            if w[np.argmax(np.abs(w[:, j])), j] < 0:
                w[:, j] = -w[:, j]
        tr, te = (tr - mu) @ w, (te - mu) @ w
    sd0 = tr.std(0)
    if name in KEEP_CONSTANT:
        keep, dropped = np.arange(tr.shape[1]), []
    else:
        keep = np.flatnonzero(sd0 > 0)
        dropped = [int(j) for j in np.flatnonzero(sd0 == 0)]
    tr, te = tr[:, keep], te[:, keep]
    m, s = tr.mean(0), tr.std(0)
    s[s == 0] = 1  # only with KEEP_CONSTANT: a constant column is centred, not scaled
    tr, te = (tr - m) / s, (te - m) / s
    const = [int(j) for j in np.flatnonzero(tr.std(0) == 0)]
    ent = {"name": name, "source_rows": int(len(x)), "source_cols": int(x.shape[1]), "train_rows": int(len(tr)),
           "test_rows": int(len(te)), "cols": int(tr.shape[1]), "dropped_constant_columns": dropped, **({"constant_columns_kept": const} if const else {}),
           "split_seed": seed, "note": NOTES[name]}
    for part, a in (("train", tr), ("test", te)):
        p = os.path.join(out, f"{name}_{part}.csv")
        np.savetxt(p, a, delimiter=",", fmt="%.9g")
        ent[part + "_csv"] = os.path.basename(p)
        ent[part + "_sha256"] = sha(p)
    return ent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/flowbench-quality")
    ap.add_argument("--tables", default=",".join(ORDER))
    ap.add_argument("--seed", type=int, default=0, help="base seed; table i uses seed + i (i in the fixed order)")
    ap.add_argument("--check", default="", help="manifest to compare the hashes with")
    a = ap.parse_args()
    names = [t for t in a.tables.split(",") if t]
    for t in names:
        if t not in ORDER:
            sys.exit(f"unknown table {t!r}; known: {', '.join(ORDER)}")
    os.makedirs(a.out, exist_ok=True)
    man = {"generator": "scripts/quality/tables.py", "numpy": np.__version__, "tables": []}
    try:
        import sklearn
        man["sklearn"] = sklearn.__version__
    except ImportError:
        pass
    for t in names:
        e = export(t, a.seed + ORDER.index(SPLIT_OF.get(t, t)), a.out)
        man["tables"].append(e)
        print(f"{t}: train {e['train_rows']}x{e['cols']}, test {e['test_rows']}x{e['cols']}"
              + (f", dropped constant columns {e['dropped_constant_columns']}" if e["dropped_constant_columns"] else ""),
              file=sys.stderr)
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(man, f, indent=1)
        f.write("\n")
    if a.check:
        with open(a.check) as f:
            ref = {e["name"]: e for e in json.load(f)["tables"]}
        bad = 0
        for e in man["tables"]:
            r = ref.get(e["name"])
            for part in ("train", "test"):
                key = part + "_sha256"
                if r is None or r[key] != e[key]:
                    bad += 1
                    print(f"MISMATCH {e['name']} {part}: {e[key]} vs {r[key] if r else 'absent'}", file=sys.stderr)
        if bad:
            sys.exit(1)
        print(f"split check: {2 * len(man['tables'])} CSVs match {a.check}", file=sys.stderr)


if __name__ == "__main__":
    main()

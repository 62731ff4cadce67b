#!/usr/bin/env python3
"""Load a flowbench model in PyTorch and sample from it as `flowbench sample` does.

    import flowbench_torch as fb
    flow = fb.load("model.safetensors")
    z = torch.randn(1000, flow.dim, dtype=torch.float64)   # base draws N(0, I)
    x = flow.sample(z, steps=100)                            # data units, RK4 like --solver rk4
    v = flow.velocity(t, x_model)                            # the field, model units

What flowbench samples and scores with (gen.ModelFromCheckpoint), and so what this loader
uses:

  weights   best.params (flat float32, flowbench's layout: per layer W as (in, out) row-major,
            then b) when validation ran, else the EMA weights ema.net.{2i}.weight/bias, else
            the trained weights net.{2i}.weight/bias (PyTorch layout, (out, in)).
  network   nn.Sequential(Linear, act, ..., Linear) as __metadata__["config"] describes it
            ({"dim", "hidden", "act", "time", "fourier", ...}); input [x, t] for time
            "concat", [x, cos(pi t), sin(pi t), ..., cos(K pi t), sin(K pi t)] for "fourier"
            (t in float64; its features computed in float64, then rounded to float32).
  time      t = 0 is the base, t = 1 the data: samples integrate dx/dt = v(t, x) from 0 to 1.
  base      N(0, I), or, when config "base" is "learned", x0 = mu + L z with best.base.mu,
            best.base.L when present, else base.mu, base.L (float64; L lower triangular, d x d).
  units     the network works in model units; metadata "data" (JSON) holds "stats" {"mean",
            "std"} when the data were standardized: data = mean + std * model.
  interp    config "interp" names the interpolant (trig, linear, fourier:M, ...); a learnable
            Fourier one stores its coefficients as best.interp.alpha/beta (else
            interp.alpha/beta). The ODE sampler does not use it (only the SDE's score does);
            it is exposed as flow.interp.

The fixed-step solve matches flowbench's solver: the state is kept in float64, every stage
input is rounded to float32 for the network, whose float32 output is accumulated in float64.

  flowbench_torch.py sample CKPT --noise Z.npy --out X.npy [--steps 100] [--weights auto|net|ema]
      push base draws z (n, d) (flowbench's gen.BaseNoise, or any N(0, I) draws) through the
      model with RK4 and write the samples in data units as float32 .npy

Run with /usr/bin/python3 (Debian's python3-torch).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_safetensors import build, features, read_safetensors  # noqa: E402


class Flow:
    """A flowbench model: the inference network, base, standardization and interpolant."""

    def __init__(self, path, weights="auto"):
        tensors, meta = read_safetensors(path)
        cfg = json.loads(meta["config"])
        if cfg.get("context", cfg.get("xdim", 0)) or cfg.get("classes", 0):
            raise ValueError(f"{path}: a conditional model (it needs its context); this loader "
                             "handles unconditional models")
        self.cfg = cfg
        self.dim = cfg["dim"]
        self.net, self.fourier = build(cfg)
        self.weights = self._pick_weights(path, tensors, weights)
        self.net.load_state_dict(self.weights)
        self.net.eval()
        self.mu = self.L = None
        if cfg.get("base", "normal") == "learned":
            pre = "best.base." if "best.base.mu" in tensors else "base."
            self.mu = tensors[pre + "mu"].double()
            self.L = tensors[pre + "L"].double().reshape(self.dim, self.dim)
        data = json.loads(meta.get("data", "{}"))
        st = data.get("stats")
        self.mean = torch.tensor(st["mean"], dtype=torch.float64) if st else None
        self.std = torch.tensor(st["std"], dtype=torch.float64) if st else None
        self.interp = {"spec": cfg.get("interp", "trig")}
        for k in ("alpha", "beta"):
            for name in ("best.interp." + k, "interp." + k):
                if name in tensors:
                    self.interp[k] = tensors[name].double()
                    break

    def _pick_weights(self, path, tensors, which):
        """The state_dict of the weights flowbench samples with (see the module doc), or with
        which = "net" or "ema", those."""
        if which in ("net", "ema"):
            prefix = which + ".net." if which == "ema" else "net."
            sd = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            if not sd:
                raise ValueError(f"{path}: no {prefix}* tensors")
            return sd
        if "best.params" in tensors:
            flat = tensors["best.params"].float()
            sd, off = {}, 0
            layers = [m for m in self.net if isinstance(m, torch.nn.Linear)]
            for i, lin in enumerate(layers):
                n_in, n_out = lin.in_features, lin.out_features
                w = flat[off:off + n_in * n_out].reshape(n_in, n_out)
                off += n_in * n_out
                sd[f"{2 * i}.weight"] = w.t().contiguous()
                sd[f"{2 * i}.bias"] = flat[off:off + n_out].clone()
                off += n_out
            if off != flat.numel():
                raise ValueError(f"{path}: best.params has {flat.numel()} values, the network {off}")
            return sd
        prefix = "ema.net." if any(k.startswith("ema.net.") for k in tensors) else "net."
        return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}

    def velocity(self, t, x):
        """v(t, x): t a float (or (B,) float64), x (B, d) in model units; returns float32."""
        x = x.float()
        tt = torch.full((x.shape[0],), float(t), dtype=torch.float64) if not torch.is_tensor(t) else t.double()
        with torch.no_grad():
            return self.net(torch.cat([x, features(tt, self.fourier)], 1))

    def base(self, z):
        """x0 from standard normal draws z (B, d): z itself, or mu + L z for a learned base."""
        z = z.double()
        if self.mu is None:
            return z
        return self.mu + z @ self.L.t()

    def to_data(self, x):
        """Model units to data units: mean + std * x (the identity without statistics)."""
        x = x.double()
        return x if self.mean is None else x * self.std + self.mean

    def sample(self, z, steps=100):
        """Samples in data units from base draws z by RK4 with `steps` equal steps, t: 0 -> 1."""
        y = self.base(z).float().double()  # flowbench's state starts as the float32 x0
        h = 1.0 / steps
        for n in range(steps):
            t = n * h
            hn = 1.0 - t if n == steps - 1 else h
            ts = (t, t + 0.5 * hn, t + 0.5 * hn, 1.0 if n == steps - 1 else t + hn)
            k1 = self.velocity(ts[0], y).double()
            k2 = self.velocity(ts[1], (y + hn * 0.5 * k1)).double()
            k3 = self.velocity(ts[2], (y + hn * 0.5 * k2)).double()
            k4 = self.velocity(ts[3], (y + hn * k3)).double()
            y = y + hn * (k1 / 6 + k2 / 3 + k3 / 3 + k4 / 6)
        return self.to_data(y.float().double()).float()


def load(path, weights="auto"):
    """The Flow of a flowbench checkpoint (weights: auto, the ones flowbench uses; net; ema)."""
    return Flow(path, weights)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("ckpt")
    s.add_argument("--noise", required=True, help="base draws z, (n, d) .npy")
    s.add_argument("--out", required=True, help="samples in data units, float32 .npy")
    s.add_argument("--steps", type=int, default=100)
    s.add_argument("--weights", default="auto", choices=["auto", "net", "ema"],
                   help="auto: the weights flowbench samples with (best, else EMA, else net)")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    flow = load(a.ckpt, a.weights)
    z = torch.from_numpy(np.load(a.noise).astype(np.float64))
    if z.ndim != 2 or z.shape[1] != flow.dim:
        raise SystemExit(f"{a.noise}: shape {tuple(z.shape)}, want (n, {flow.dim})")
    np.save(a.out, flow.sample(z, a.steps).numpy())
    return 0


if __name__ == "__main__":
    sys.exit(main())

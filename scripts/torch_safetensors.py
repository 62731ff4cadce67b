#!/usr/bin/env python3
"""flowbench checkpoints <-> PyTorch, with no safetensors package (json + torch.frombuffer).

A flowbench checkpoint is a safetensors file whose `net.{2i}.weight` (out, in) and
`net.{2i}.bias` tensors are exactly the state_dict of

    nn.Sequential(Linear(d_in, h0), act, Linear(h0, h1), act, ..., Linear(h_last, d))

with d_in = d + 1 (input [x, t]) or d + 2K (input [x, cos(pi t), sin(pi t), ...,
cos(K pi t), sin(K pi t)]), and whose __metadata__ holds format_version "1" and the config
JSON {"dim", "hidden", "act", "time", "fourier"}.

  torch_safetensors.py make CKPT --dim 2 --hidden 16,16 --act silu [--time fourier --fourier 3] [--seed 0]
      build that module with PyTorch's default initialization and save it as a checkpoint
  torch_safetensors.py forward CKPT IN OUT [CKPT IN OUT ...]
      load the checkpoint into nn.Sequential, read x (B, d) F32 and t (B,) F64 from the
      safetensors file IN, write v(t, x) as tensor "v" (B, d) F32 to OUT
  torch_safetensors.py jobs JOBS.json
      run a list of jobs in one process (torch loads once): {"op": "make", "ckpt", "dim",
      "hidden": [...], "act", "time", "fourier", "seed"} or {"op": "forward", "ckpt", "in", "out"}

This script moves networks (the raw net.* weights) between the two; to sample or score with
a trained model as flowbench does (best or EMA weights, learned base, standardization), use
flowbench_torch.py beside it.

Run with /usr/bin/python3 (Debian's python3-torch).
"""
import argparse
import json
import math
import struct
import sys

import torch
import torch.nn as nn

DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "I64": (torch.int64, 8)}
ACTS = {"relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh, "softplus": nn.Softplus,
        "gelu": lambda: nn.GELU(approximate="tanh"), "elu": nn.ELU}


def read_safetensors(path):
    """Return (tensors: name -> torch.Tensor, metadata: dict)."""
    with open(path, "rb") as fh:
        buf = fh.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = buf[8 + n:]
    out = {}
    for name, e in header.items():
        dtype, size = DTYPES[e["dtype"]]
        lo, hi = e["data_offsets"]
        numel = math.prod(e["shape"])
        if hi - lo != numel * size:
            raise ValueError(f"{path}: tensor {name}: bad byte range")
        raw = bytearray(data[lo:hi])
        t = torch.frombuffer(raw, dtype=dtype) if numel else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(e["shape"])
    return out, meta


def write_safetensors(path, tensors, meta=None):
    """Write name -> tensor (float32/float64/int64) with optional string metadata."""
    rev = {v[0]: k for k, v in DTYPES.items()}
    header, blobs, off = {}, [], 0
    if meta:
        header["__metadata__"] = {k: str(v) for k, v in meta.items()}
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        b = t.numpy().tobytes()  # native order: little-endian on every supported host
        header[name] = {"dtype": rev[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)))
        fh.write(h)
        for b in blobs:
            fh.write(b)


def build(cfg):
    """The nn.Sequential of a flowbench config."""
    hidden = cfg.get("hidden")
    if hidden is None:
        hidden = [cfg["width"]] * cfg["depth"]
    d = cfg["dim"]
    fourier = cfg.get("fourier", 0) if cfg.get("time", "concat") == "fourier" else 0
    # A conditional network's first Linear takes [x, context, time features]: the context
    # is `context` (or the reference's `xdim`) continuous columns, then a one-hot label over
    # classes + 1 columns (the last is the null label) when `classes` > 0.
    classes = cfg.get("classes", 0)
    cw = cfg.get("context", cfg.get("xdim", 0)) + (classes + 1 if classes else 0)
    d_in = d + cw + (2 * fourier if fourier else 1)
    layers = []
    for h in hidden:
        layers += [nn.Linear(d_in, h), ACTS[cfg["act"]]()]
        d_in = h
    layers.append(nn.Linear(d_in, d))
    return nn.Sequential(*layers), fourier


def features(t, fourier):
    """Time features of t (B,) float64 -> (B, F) float32, as flowbench computes them."""
    if not fourier:
        return t.reshape(-1, 1).float()
    cols = []
    for k in range(1, fourier + 1):
        cols += [torch.cos(k * math.pi * t), torch.sin(k * math.pi * t)]
    return torch.stack(cols, 1).float()


def load(path):
    tensors, meta = read_safetensors(path)
    cfg = json.loads(meta["config"])
    net, fourier = build(cfg)
    net.load_state_dict({k[len("net."):]: v for k, v in tensors.items() if k.startswith("net.")})
    net.eval()
    return net, fourier


def make(ckpt, dim, hidden, act="silu", time="concat", fourier=0, seed=0, context=0, classes=0):
    torch.manual_seed(seed)
    cfg = {"dim": dim, "hidden": list(hidden), "act": act, "time": time,
           "fourier": fourier if time == "fourier" else 0}
    if context:
        cfg["xdim"] = context  # the reference's (cond_ref.py) name for the context width
    if classes:
        cfg["classes"] = classes
    net, _ = build(cfg)
    tensors = {"net." + k: v for k, v in net.state_dict().items()}
    write_safetensors(ckpt, tensors, {"format_version": "1", "config": json.dumps(cfg),
                                      "created_by": "torch_safetensors.py"})


def forward(ckpt, inp, outp):
    net, fourier = load(ckpt)
    io, _ = read_safetensors(inp)
    x, t = io["x"].float(), io["t"].double()
    cols = [x] + ([io["c"].float()] if "c" in io else []) + [features(t, fourier)]
    with torch.no_grad():
        v = net(torch.cat(cols, 1))
    write_safetensors(outp, {"v": v})


def cmd_make(a):
    make(a.ckpt, a.dim, [int(s) for s in a.hidden.split(",") if s], a.act, a.time, a.fourier,
         a.seed)


def cmd_forward(a):
    if len(a.files) % 3:
        raise SystemExit("forward needs CKPT IN OUT triples")
    for i in range(0, len(a.files), 3):
        forward(*a.files[i:i + 3])


def cmd_jobs(a):
    with open(a.jobs) as fh:
        jobs = json.load(fh)
    for j in jobs:
        j = dict(j)
        op = j.pop("op")
        if op == "make":
            make(**j)
        elif op == "forward":
            forward(j["ckpt"], j["in"], j["out"])
        else:
            raise SystemExit(f"{a.jobs}: unknown op {op!r}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("ckpt")
    m.add_argument("--dim", type=int, required=True)
    m.add_argument("--hidden", required=True)
    m.add_argument("--act", default="silu", choices=sorted(ACTS))
    m.add_argument("--time", default="concat", choices=["concat", "fourier"])
    m.add_argument("--fourier", type=int, default=0)
    m.add_argument("--seed", type=int, default=0)
    f = sub.add_parser("forward")
    f.add_argument("files", nargs="+")
    j = sub.add_parser("jobs")
    j.add_argument("jobs")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    {"make": cmd_make, "forward": cmd_forward, "jobs": cmd_jobs}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Train a flowbench model with PyTorch's DistributedDataParallel; write a flowbench checkpoint.

    torchrun --nproc_per_node 2 scripts/torch_train_ddp.py --config CFG --data rows.csv --out m.safetensors
        [--steps N] [--eval rows.csv --eval-out eval.safetensors --eval-steps 32]

CFG is flowbench's training configuration: the JSON of gen.TrainConfig (a file of it, or a
flowbench checkpoint whose config.train holds it: `flowbench train ... --steps 1 --out cfg.safetensors`
makes one). The trainer is the same as `flowbench train`'s on a table: rows standardized by
their mean and standard deviation (recorded in the checkpoint, so flowbench scores in the data's
units), x0 ~ N(0, I), t from the configured time distribution, x_t = a(t)·x0 + b(t)·x1 with the
trigonometric or linear interpolant, the loss (1/B)·Σ|v(t, x_t) − dx_t/dt|², the network
Linear/activation layers of nn.Sequential on the input [x, t] (or Fourier time features), Adam
(β = 0.9, 0.999, ε = 1e-8; decoupled weight decay as AdamW), the schedule of nn.Schedule (linear
warm-up over min(warmup, steps/2) steps, then constant, step or cosine down to min_lr), gradient
clipping, and the EMA with flowbench's warm-up decay min(ema, (1+k)/(10+k)) after step k. Every
process draws batch/world rows a step (the global batch is the configuration's) and DDP averages
the gradients. Backend gloo on CPU, NCCL when CUDA is available.

What flowbench has and this trainer does not: learnable Fourier interpolants, the learned base,
max-min, couplings, validation with early stopping, dequantization, conditional models; such
configurations are refused with a one-line error.

The checkpoint holds net.* (the trained weights), ema.net.* (the EMA, which flowbench samples and
scores with) and the metadata flowbench reads: format_version, config (the network, "interp",
"base", "train"), ema, data (name, sha256, columns' statistics), created_by. With --eval the first
process also writes, for the rows of that file, the EMA network's velocities at times drawn per
row ("x", "t", "v") and the exact log-densities by fixed-step RK4 from t = 1 to 0 with the exact
divergence ("logp", float64, data units), as flowbench's `nll --solver rk4 --steps K` computes
them, so the two can be compared (a JSON file: x in model units, t, v, logp).

Run with Debian's python3-torch (/usr/bin/python3, torchrun).
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_safetensors import ACTS, build, features, read_safetensors, write_safetensors  # noqa: E402

LOG2PI = math.log(2 * math.pi)


def fail(msg):
    print(f"torch_train_ddp: {msg}", file=sys.stderr)
    sys.exit(2)


def load_config(path):
    """The gen.TrainConfig JSON of a .json file or of a flowbench checkpoint's config.train."""
    if path.endswith(".safetensors"):
        _, meta = read_safetensors(path)
        cfg = json.loads(meta["config"]).get("train")
        if cfg is None:
            fail(f"--config {path}: the checkpoint's config has no train configuration")
        return cfg
    with open(path) as fh:
        return json.load(fh)


def check_config(cfg, path):
    """Refuse what this trainer does not implement, naming the field."""
    def refuse(field, why):
        fail(f"--config {path}: {field} = {cfg.get(field)!r}: {why}")
    if cfg.get("interp", "trig") not in ("trig", "linear"):
        refuse("interp", "this trainer has the trig and linear interpolants")
    td = cfg.get("time_dist", "uniform")
    if not (td in ("uniform", "antithetic", "stratified") or td.startswith("beta:")):
        refuse("time_dist", "want uniform, beta:A,B, antithetic or stratified")
    if cfg.get("base", "normal") != "normal":
        refuse("base", "this trainer has the N(0, I) base only")
    if cfg.get("coupling"):
        refuse("coupling", "this trainer pairs base and data points independently")
    if cfg.get("maxmin", 0):
        refuse("maxmin", "max-min is not implemented here")
    if cfg.get("schedule", "cosine") not in ("cosine", "constant", "step"):
        refuse("schedule", "want cosine, constant or step (plateau needs validation)")
    net = cfg.get("net", {})
    if net.get("context") or net.get("classes"):
        fail(f"--config {path}: a conditional network is not implemented here")
    if net.get("act") not in ACTS:
        fail(f"--config {path}: net.act = {net.get('act')!r}: want one of {', '.join(sorted(ACTS))}")


def lr_at(cfg, step):
    """nn.Schedule.At of gen's TrainConfig.schedule()."""
    lr, h = cfg["lr"], cfg.get("schedule_steps") or cfg["steps"]
    warm = min(cfg.get("warmup", 0), h // 2)
    if step < warm:
        return lr * (step + 1) / warm
    k = step - warm
    kind = cfg.get("schedule", "cosine")
    if kind == "step":
        return lr * 0.5 ** (k // max(1, h // 4))
    if kind == "cosine":
        n, lo = h - warm, cfg.get("min_lr", 0.0)
        return lo if k >= n else lo + (lr - lo) * 0.5 * (1 + math.cos(math.pi * k / n))
    return lr


def coeffs(kind, t):
    """a, b, da, db of the interpolant at t (B, 1)."""
    if kind == "trig":
        a, b = torch.cos(0.5 * math.pi * t), torch.sin(0.5 * math.pi * t)
        return a, b, -0.5 * math.pi * b, 0.5 * math.pi * a
    return 1 - t, t, -torch.ones_like(t), torch.ones_like(t)


def draw_times(td, n, g):
    """n training times from the time distribution td (float64)."""
    if td == "uniform":
        return torch.rand(n, generator=g, dtype=torch.float64)
    if td == "antithetic":
        h = torch.rand((n + 1) // 2, generator=g, dtype=torch.float64)
        return torch.cat([h, 1 - h])[:n]
    if td == "stratified":
        return ((torch.arange(n, dtype=torch.float64) + torch.rand(n, generator=g, dtype=torch.float64)) / n)[torch.randperm(n, generator=g)]
    a, b = (float(s) for s in td[len("beta:"):].split(","))
    u = torch.distributions.Beta(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
    return u.sample((n,))


def read_table(path):
    """Rows of a CSV/TSV file (an optional header line) as float64 (n, d)."""
    with open(path) as fh:
        lines = [ln.strip() for ln in fh if ln.strip()]
    sep = "\t" if "\t" in lines[0] else ","
    def row(ln):
        return [float(v) for v in ln.split(sep)]
    try:
        row(lines[0])
    except ValueError:
        lines = lines[1:]
    x = torch.tensor([row(ln) for ln in lines], dtype=torch.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        fail(f"--data {path}: want a table of at least 2 rows")
    return x


class Velocity(nn.Module):
    """v(t, x): the nn.Sequential of flowbench's layout on [x, time features]."""

    def __init__(self, netcfg):
        super().__init__()
        self.net, self.fourier = build(netcfg)

    def forward(self, t, x):
        return self.net(torch.cat([x, features(t, self.fourier)], 1))


def rk4_logp(model, x, steps):
    """Exact log-density (model units) of rows x by RK4 from t = 1 to 0 on [x, ∫div], the state
    in float64 and the network in float32, as flowbench's solver does."""
    n, d = x.shape

    def f(t, y):
        with torch.enable_grad():
            xi = y[:, :d].float().detach().requires_grad_(True)
            v = model(torch.full((n,), t, dtype=torch.float64), xi)
            div = torch.zeros(n, dtype=torch.float64)
            for i in range(d):
                (g,) = torch.autograd.grad(v[:, i].sum(), xi, retain_graph=i < d - 1)
                div += g[:, i].double()
        return torch.cat([v.detach().double(), div[:, None]], 1)

    y = torch.cat([x.double(), torch.zeros(n, 1, dtype=torch.float64)], 1)
    h = -1.0 / steps
    for k in range(steps):
        t = 1.0 + k * h
        k1 = f(t, y)
        k2 = f(t + h / 2, y + h / 2 * k1)
        k3 = f(t + h / 2, y + h / 2 * k2)
        k4 = f(t + h, y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    x0, l0 = y[:, :d], y[:, d]
    return -0.5 * x0.pow(2).sum(1) - 0.5 * d * LOG2PI + l0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True, help="gen.TrainConfig JSON, or a flowbench checkpoint holding it")
    ap.add_argument("--data", required=True, help="training rows (.csv or .tsv)")
    ap.add_argument("--out", required=True, help="checkpoint to write (safetensors)")
    ap.add_argument("--steps", type=int, default=0, help="optimizer steps (default: the configuration's)")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads per process")
    ap.add_argument("--eval", help="rows whose velocities and RK4 log-densities the first process writes")
    ap.add_argument("--eval-out", help="JSON file of x, t, v and logp for --eval")
    ap.add_argument("--eval-steps", type=int, default=32, help="RK4 steps of the --eval log-densities")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    dev = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}") if backend == "nccl" else torch.device("cpu")

    cfg = load_config(a.config)
    check_config(cfg, a.config)
    if a.steps:
        cfg["steps"] = a.steps
    steps, batch = cfg["steps"], cfg["batch"]
    if batch % world:
        fail(f"--config {a.config}: batch {batch} is not a multiple of the {world} processes")
    with open(a.data, "rb") as fh:
        sha = hashlib.sha256(fh.read()).hexdigest()
    raw = read_table(a.data)
    n, d = raw.shape
    mean, std = raw.mean(0), raw.std(0)  # the sample standard deviation, as dataset.Stats
    if (std <= 0).any():
        fail(f"--data {a.data}: a constant column cannot be standardized here")
    data = ((raw - mean) / std).float().to(dev)

    netcfg = dict(cfg["net"])
    netcfg["dim"] = d
    seed = int(cfg.get("seed", 1))
    torch.manual_seed(seed)  # the same initial weights in every process
    model = Velocity(netcfg).to(dev)
    ema = [p.detach().clone() for p in model.parameters()]
    ddp = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.AdamW(ddp.parameters(), lr=cfg["lr"], betas=(0.9, 0.999), eps=1e-8,
                            weight_decay=cfg.get("wd", 0.0))
    g = torch.Generator().manual_seed(seed * 1000003 + rank)  # each process its own draws
    kind, td, local = cfg.get("interp", "trig"), cfg.get("time_dist", "uniform"), batch // world
    decay, clip = cfg.get("ema", 0.0), cfg.get("clip", 0.0)
    dist.barrier()
    t0 = time.perf_counter()
    for step in range(steps):
        for grp in opt.param_groups:
            grp["lr"] = lr_at(cfg, step)
        x1 = data[torch.randint(n, (local,), generator=g)]
        x0 = torch.randn(local, d, generator=g).to(dev)
        t = draw_times(td, local, g).to(dev)
        ca, cb, da, db = (c.float() for c in coeffs(kind, t[:, None]))
        xt, target = ca * x0 + cb * x1, da * x0 + db * x1
        loss = (ddp(t, xt) - target).pow(2).sum(1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip > 0:
            nn.utils.clip_grad_norm_(ddp.parameters(), clip)
        opt.step()
        if decay > 0:
            w = min(decay, (1 + step) / (10 + step))
            with torch.no_grad():
                for e, p in zip(ema, model.parameters()):
                    e.mul_(w).add_(p.detach(), alpha=1 - w)
    dist.barrier()
    elapsed = time.perf_counter() - t0
    last = loss.detach().clone()
    dist.all_reduce(last)
    if rank == 0:
        names = [k for k, _ in model.net.named_parameters()]
        tensors = {"net." + k: v.detach().float().cpu() for k, v in model.net.named_parameters()}
        if decay > 0:
            tensors.update({"ema.net." + k: e.float().cpu() for k, e in zip(names, ema)})
        hidden = list(netcfg["hidden"])
        train = dict(cfg)
        train["net"] = netcfg
        config = {"dim": d, "hidden": hidden, "width": hidden[0], "depth": len(hidden), "act": netcfg["act"],
                  "time": netcfg.get("time", "concat"), "fourier": netcfg.get("fourier", 0) if netcfg.get("time") == "fourier" else 0,
                  "interp": kind, "base": "normal", "train": train}
        meta = {"format_version": "1", "config": json.dumps(config),
                "data": json.dumps({"name": a.data, "sha256": sha,
                                    "stats": {"n": n, "mean": mean.tolist(), "std": std.tolist()}}),
                "created_by": f"torch_train_ddp.py (PyTorch {torch.__version__}, {backend}, {world} processes)"}
        if decay > 0:
            meta["ema"] = json.dumps({"decay": min(decay, steps / (9 + steps))})
        write_safetensors(a.out, tensors, meta)
        print(json.dumps({"summary": "torch_train_ddp", "out": a.out, "steps": steps, "batch": batch,
                          "processes": world, "backend": backend, "final_loss": last.item() / world,
                          "train_s": elapsed, "ms_per_step": 1000 * elapsed / steps}), flush=True)
        if a.eval:
            if not a.eval_out:
                fail("--eval needs --eval-out")
            infer = Velocity(netcfg)
            with torch.no_grad():
                for p, e in zip(infer.parameters(), ema if decay > 0 else model.parameters()):
                    p.copy_(e.detach().cpu())
            infer.eval()
            xe = read_table(a.eval).float().double()  # the values flowbench reads (float32)
            z = ((xe - mean) / std).float()  # model units, rounded to float32 as flowbench does
            te = torch.rand(xe.shape[0], generator=torch.Generator().manual_seed(7), dtype=torch.float64)
            with torch.no_grad():
                v = infer(te, z)
            logp = rk4_logp(infer, z, a.eval_steps) - torch.log(std).sum()
            with open(a.eval_out, "w") as fh:  # Python's float repr reads back to the same bits
                json.dump({"x": z.tolist(), "t": te.tolist(), "v": v.tolist(), "logp": logp.tolist()}, fh)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()

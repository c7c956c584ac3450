#!/usr/bin/env python3
"""Reference trajectories of PyTorch's optimizers, schedulers and gradient clipping, for
dev.proxima.optim.PyTorchFixturesTest.

Run with Debian's python3 and python3-torch 1.13 from the repository root:
    /usr/bin/python3 optim/src/test/python/make_fixtures.py
It writes optim/src/test/resources/torch_optim_fixtures.json. Everything is float64 and
seeded, so the file is reproducible; the Java test never runs Python.
"""
import json
import math
import os

import torch

torch.manual_seed(20221130)
torch.set_default_dtype(torch.float64)
STEPS = 5
SHAPES = {"layer.weight": [3, 4], "layer.bias": [3]}

OPTIMIZERS = [
    ("sgd", torch.optim.SGD, {"lr": 0.1}),
    ("sgd", torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("sgd", torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.02}),
    ("adam", torch.optim.Adam, {"lr": 0.01}),
    ("adam", torch.optim.Adam, {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.05}),
    ("adam", torch.optim.Adam, {"lr": 0.05, "betas": (0.5, 0.9), "amsgrad": True}),
    ("adamw", torch.optim.AdamW, {"lr": 0.01}),
    ("adamw", torch.optim.AdamW, {"lr": 0.03, "betas": (0.85, 0.995), "weight_decay": 0.1}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.01}),
    ("rmsprop", torch.optim.RMSprop, {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "momentum": 0.7, "centered": True, "weight_decay": 0.01}),
    ("adagrad", torch.optim.Adagrad, {"lr": 0.1}),
    ("adagrad", torch.optim.Adagrad, {"lr": 0.2, "lr_decay": 0.05, "weight_decay": 0.03, "initial_accumulator_value": 0.1, "eps": 1e-8}),
]


def tree(values):
    return {name: {"shape": list(t.shape), "data": t.flatten().tolist()} for name, t in values.items()}


def optimizer_case(kind, cls, hyper):
    params = {name: torch.randn(*shape).requires_grad_(True) for name, shape in SHAPES.items()}
    case = {"optimizer": kind, "hyper": {k: (list(v) if isinstance(v, tuple) else v) for k, v in hyper.items()},
            "params": tree({k: v.detach() for k, v in params.items()}), "grads": [], "expected": []}
    opt = cls(list(params.values()), **hyper)
    for _ in range(STEPS):
        grads = {name: torch.randn(*shape) for name, shape in SHAPES.items()}
        for name, p in params.items():
            p.grad = grads[name].clone()
        opt.step()
        case["grads"].append(tree(grads))
        case["expected"].append(tree({k: v.detach().clone() for k, v in params.items()}))
    return case


def scheduler_case(name, make, steps=12, base_lr=0.5):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return {"schedule": name, "base_lr": base_lr, "lrs": lrs}


def clip_case(max_norm):
    grads = {name: torch.randn(*shape) * 3 for name, shape in SHAPES.items()}
    ps = {name: torch.zeros(*shape, requires_grad=True) for name, shape in SHAPES.items()}
    for name, p in ps.items():
        p.grad = grads[name].clone()
    total = torch.nn.utils.clip_grad_norm_(list(ps.values()), max_norm)
    return {"max_norm": max_norm, "total_norm": float(total), "grads": tree(grads),
            "expected": tree({k: v.grad for k, v in ps.items()})}


lr_sched = torch.optim.lr_scheduler
fixtures = {
    "torch": torch.__version__,
    "optimizers": [optimizer_case(*o) for o in OPTIMIZERS],
    "schedules": [
        scheduler_case("step", lambda o: lr_sched.StepLR(o, step_size=3, gamma=0.5)),
        scheduler_case("multistep", lambda o: lr_sched.MultiStepLR(o, milestones=[2, 5, 9], gamma=0.3)),
        scheduler_case("exponential", lambda o: lr_sched.ExponentialLR(o, gamma=0.9)),
        # PyTorch's cosine rises again after T_max; ours holds its minimum, so compare up to T_max
        scheduler_case("cosine", lambda o: lr_sched.CosineAnnealingLR(o, T_max=8, eta_min=0.05), steps=9),
        scheduler_case("linear", lambda o: lr_sched.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4)),
    ],
    "clipping": [clip_case(1.0), clip_case(1e3)],
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "torch_optim_fixtures.json")
with open(out, "w") as f:
    json.dump(fixtures, f, indent=1)
    f.write("\n")
print("wrote", os.path.normpath(out))

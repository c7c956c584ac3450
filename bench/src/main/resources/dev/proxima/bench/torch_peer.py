"""What the PyTorch peer scripts of `proxima bench autograd` and `bench train`
(autograd_torch.py, train_torch.py) share: their options, the torch settings and the timing.
The bench (TorchPeer.java) copies it beside them, so they import it."""
import argparse
import statistics
import time

import torch


def setup(repeat, warmup, cases):
    """Reads --threads, --repeat, --warmup, --cases and --device (the given defaults), sets the
    thread count, seed 0 and TF32 off; returns (args, device, sync), where sync() waits for
    an asynchronous device (CUDA)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--repeat", type=int, default=repeat)
    ap.add_argument("--warmup", type=int, default=warmup)
    ap.add_argument("--cases", default=cases)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    sync = torch.cuda.synchronize if a.device == "cuda" else (lambda: None)
    return a, torch.device(a.device), sync


def median_ms(fn, warmup, repeat, sync, min_warmup_s=0.0):
    """Median milliseconds of `repeat` timed calls of fn, after `warmup` untimed calls that
    also last at least `min_warmup_s` seconds; a call is done only when sync() returns."""
    t_end = time.perf_counter() + min_warmup_s
    i = 0
    while i < warmup or time.perf_counter() < t_end:
        fn()
        i += 1
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)

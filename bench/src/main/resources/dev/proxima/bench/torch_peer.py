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
    """Median milliseconds of `repeat` timed calls of fn, after a warm-up of at least `warmup`
    calls and `min_warmup_s` seconds that lasts until the timing is stable, as the Java side's
    (Warmup.java): windows of >= 0.5 s and 3 calls until two consecutive windows' medians
    agree within 5%, capped at 60 s. A call is done only when sync() returns."""
    start = time.perf_counter()
    runs, previous = 0, None
    while True:
        w0, ms = time.perf_counter(), []
        while len(ms) < 3 or time.perf_counter() - w0 < 0.5:
            t0 = time.perf_counter()
            fn()
            sync()
            ms.append((time.perf_counter() - t0) * 1e3)
        runs += len(ms)
        med = statistics.median(ms)
        stable = previous is not None and abs(med - previous) <= 0.05 * min(med, previous)
        previous = med
        elapsed = time.perf_counter() - start
        if (stable and runs >= warmup and elapsed >= min_warmup_s) or elapsed > 60:
            break
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)

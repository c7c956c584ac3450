"""Timing shared by the PyTorch peer scripts of `proxima bench autograd` and `bench train`
(autograd_torch.py, train_torch.py). The bench copies it beside them, so they import it."""
import statistics
import time


def median_ms(fn, warmup, repeat, sync, min_warmup_s=0.0):
    """Median milliseconds of `repeat` timed calls of fn, after `warmup` untimed calls that
    also last at least `min_warmup_s` seconds. sync() waits for an asynchronous device
    (CUDA): a step is done only when it returns."""
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

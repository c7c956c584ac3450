"""NumPy side of ./proxima bench: times one case the way the Java side does (warm-up, then the
median of --repeat runs) and prints one line of key=value pairs. Run by Bench as a subprocess
with the system python3, whose NumPy links OpenBLAS."""
import sys
import time

import numpy as np


def median_seconds(fn, repeat, warmup_s=0.5):
    fn()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < warmup_s:
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


def main(argv):
    case, repeat = argv[0], int(argv[-1])
    rng = np.random.default_rng(0)
    if case == "sgemm":
        n = int(argv[1])
        a = rng.random((n, n), dtype=np.float32)
        b = rng.random((n, n), dtype=np.float32)
        s = median_seconds(lambda: a @ b, repeat)
        print(f"seconds={s:.9f} gflops={2.0 * n ** 3 / s / 1e9:.3f}")
    elif case == "elementwise":
        op, n = argv[1], int(argv[2])
        a = rng.random(n, dtype=np.float32) + 0.5
        b = rng.random(n, dtype=np.float32) + 0.5
        fn = {"add": lambda: a + b, "mul": lambda: a * b, "exp": lambda: np.exp(a)}[op]
        s = median_seconds(fn, repeat)
        print(f"seconds={s:.9f} gelems={n / s / 1e9:.4f}")
    elif case == "reduce":
        axis, n = int(argv[1]), int(argv[2])
        a = rng.random((n, n), dtype=np.float32)
        s = median_seconds(lambda: a.sum(axis=axis), repeat)
        print(f"seconds={s:.9f} gelems={n * n / s / 1e9:.4f}")
    else:
        raise SystemExit(f"peer_numpy: unknown case {case}")


if __name__ == "__main__":
    main(sys.argv[1:])

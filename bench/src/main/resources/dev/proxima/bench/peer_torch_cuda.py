"""PyTorch-on-CUDA side of ./proxima bench when Proxima runs on a GPU (--device opencl):
the same cases and timing discipline as peer_numpy.py, with TF32 off so float32 matmul is
true float32, and a device synchronize before each clock read. Prints one key=value line."""
import sys
import time

import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def median_seconds(fn, repeat, warmup_s=0.5):
    fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < warmup_s:
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


def main(argv):
    if not torch.cuda.is_available():
        raise SystemExit("peer_torch_cuda: torch sees no CUDA device")
    case, repeat = argv[0], int(argv[-1])
    g = torch.Generator(device="cuda").manual_seed(0)
    dev = "cuda"
    if case == "sgemm":
        n = int(argv[1])
        a = torch.rand((n, n), device=dev, generator=g)
        b = torch.rand((n, n), device=dev, generator=g)
        s = median_seconds(lambda: a @ b, repeat)
        print(f"seconds={s:.9f} gflops={2.0 * n ** 3 / s / 1e9:.3f}")
    elif case == "elementwise":
        op, n = argv[1], int(argv[2])
        a = torch.rand(n, device=dev, generator=g) + 0.5
        b = torch.rand(n, device=dev, generator=g) + 0.5
        fn = {"add": lambda: a + b, "mul": lambda: a * b, "exp": lambda: torch.exp(a)}[op]
        s = median_seconds(fn, repeat)
        print(f"seconds={s:.9f} gelems={n / s / 1e9:.4f}")
    elif case == "reduce":
        axis, n = int(argv[1]), int(argv[2])
        a = torch.rand((n, n), device=dev, generator=g)
        s = median_seconds(lambda: a.sum(dim=axis), repeat)
        print(f"seconds={s:.9f} gelems={n * n / s / 1e9:.4f}")
    else:
        raise SystemExit(f"peer_torch_cuda: unknown case {case}")


if __name__ == "__main__":
    main(sys.argv[1:])

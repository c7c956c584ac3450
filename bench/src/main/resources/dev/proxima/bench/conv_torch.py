"""PyTorch side of `proxima bench conv`: the kernels of a CNN training step one by one, the
same cases and shapes as ConvBench.java (Models.cnn's layers at batch 128). Prints
`CASE median_ms` per case."""
import torch
import torch.nn.functional as F

from torch_peer import median_ms, setup

BATCH = 128


def case(name, dev):
    first = name.endswith("1") or name.startswith("conv1")
    ch, out, hw = (1, 16, 28) if first else (16, 32, 14)
    kind = "".join(c for c in name if not c.isdigit())
    if kind == "conv_fwd":
        x = torch.randn(BATCH, ch, hw, hw, device=dev)
        w = torch.randn(out, ch, 3, 3, device=dev)

        def run():
            with torch.no_grad():
                F.conv2d(x, w, padding=1)
        return run
    if kind in ("conv_bwd_input", "conv_bwd_weight"):
        inp = kind.endswith("input")
        x = torch.randn(BATCH, ch, hw, hw, device=dev, requires_grad=inp)
        w = torch.randn(out, ch, 3, 3, device=dev, requires_grad=not inp)
        y = F.conv2d(x, w, padding=1)
        g = torch.randn_like(y)
        wrt = x if inp else w
        return lambda: torch.autograd.grad(y, wrt, g, retain_graph=True)
    if kind == "pool":
        x = torch.randn(BATCH, out, hw, hw, device=dev, requires_grad=True)
        g = torch.randn(BATCH, out, hw // 2, hw // 2, device=dev)
        return lambda: torch.autograd.grad(F.max_pool2d(x, 2), x, g)
    if kind == "bn":
        x = torch.randn(BATCH, out, hw, hw, device=dev, requires_grad=True)
        w = torch.randn(out, device=dev, requires_grad=True)
        b = torch.randn(out, device=dev, requires_grad=True)
        g = torch.randn_like(x)
        return lambda: torch.autograd.grad(F.batch_norm(x, None, None, w, b, training=True, eps=1e-5), (x, w, b), g)
    raise ValueError("unknown case " + name)


def main():
    a, dev, sync = setup(20, 5, "conv1_fwd,conv1_bwd_weight,conv2_fwd,conv2_bwd_input,conv2_bwd_weight,pool1,pool2,bn1,bn2")
    for name in a.cases.split(","):
        print("%s %.6f" % (name, median_ms(case(name, dev), a.warmup, a.repeat, sync)), flush=True)


if __name__ == "__main__":
    main()

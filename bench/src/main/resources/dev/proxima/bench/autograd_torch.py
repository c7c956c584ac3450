"""PyTorch side of `proxima bench autograd`: the same two cases as AutogradBench.java,
with the same shapes, constants and op sequence, on the CPU or (when Proxima runs on a GPU)
on CUDA with TF32 off. Prints `CASE median_ms` per case."""
import torch

from torch_peer import median_ms, setup


def chain_constants(n=64):
    # Same formulas as AutogradBench.constant: deterministic, bounded, no RNG to match.
    c = [0.9 + 0.2 * ((i * 37) % n) / n for i in range(n)]
    d = [-0.1 + 0.2 * ((i * 11) % n) / n for i in range(n)]
    return torch.tensor(c, dtype=torch.float32), torch.tensor(d, dtype=torch.float32)


def chain_step(x0, c, d, blocks):
    x = x0
    for _ in range(blocks):  # 10 ops per block
        x = x * c
        x = x + d
        x = torch.tanh(x)
        x = torch.sin(x)
        x = x * 0.5
        x = torch.exp(x)
        x = x * c
        x = x - d
        x = torch.sigmoid(x)
        x = torch.tanh(x)
    loss = x.sum()
    (g,) = torch.autograd.grad(loss, [x0])
    return g


def mlp_step(x, onehot, params):
    w1, b1, w2, b2, w3, b3 = params
    h = torch.relu(x @ w1 + b1)
    h = torch.relu(h @ w2 + b2)
    logits = h @ w3 + b3
    loss = -(onehot * torch.log_softmax(logits, dim=1)).sum() / x.shape[0]
    return torch.autograd.grad(loss, params)


def main():
    a, dev, sync = setup(20, 5, "chain,mlp")
    cases = a.cases.split(",")
    if "chain" in cases:
        c, d = (t.to(dev) for t in chain_constants())
        x0 = torch.linspace(-1, 1, 64, dtype=torch.float32, device=dev).requires_grad_(True)
        print("chain %.6f" % median_ms(lambda: chain_step(x0, c, d, 100), a.warmup, a.repeat, sync), flush=True)
    if "mlp" in cases:
        batch = 128
        x = torch.randn(batch, 784).to(dev)
        onehot = torch.zeros(batch, 10)
        onehot[torch.arange(batch), torch.arange(batch) % 10] = 1
        onehot = onehot.to(dev)
        shapes = [(784, 512), (512,), (512, 512), (512,), (512, 10), (10,)]
        params = [(torch.randn(*s) * s[0] ** -0.5 if len(s) == 2 else torch.zeros(*s)).to(dev).requires_grad_(True)
                  for s in shapes]
        print("mlp %.6f" % median_ms(lambda: mlp_step(x, onehot, params), a.warmup, a.repeat, sync), flush=True)


if __name__ == "__main__":
    main()

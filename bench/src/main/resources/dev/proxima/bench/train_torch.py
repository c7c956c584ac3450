"""PyTorch side of `proxima bench train`: one SGD training step (forward, backward, update)
of the same three models as TrainBench.java, same shapes, on the CPU or CUDA (TF32 off).
Prints `CASE median_ms` per case."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_peer import median_ms, setup


def mlp():
    return nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))


def cnn():
    """Models.cnn: the CNN of `train --model cnn` and `demo`."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    a, dev, sync = setup(10, 3, "mlp,cnn,transformer")
    for case in a.cases.split(","):
        if case == "transformer":
            model = nn.TransformerEncoderLayer(256, 4, dim_feedforward=1024, dropout=0.0, batch_first=True).to(dev)
            x = torch.randn(16, 128, 256, device=dev)
            target = torch.randn(16, 128, 256, device=dev)
            loss_fn = lambda: F.mse_loss(model(x), target)
        else:
            model = (mlp() if case == "mlp" else cnn()).to(dev)
            shape = (256, 784) if case == "mlp" else (128, 1, 28, 28)
            x = torch.randn(*shape, device=dev)
            y = (torch.arange(shape[0]) % 10).to(dev)
            loss_fn = lambda: F.cross_entropy(model(x), y)
        model.train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)

        def step():
            opt.zero_grad(set_to_none=True)
            loss_fn().backward()
            opt.step()

        # warm up for the given count and at least 2 s, as the Java side
        print("%s %.6f" % (case, median_ms(step, a.warmup, a.repeat, sync, min_warmup_s=2.0)), flush=True)


if __name__ == "__main__":
    main()

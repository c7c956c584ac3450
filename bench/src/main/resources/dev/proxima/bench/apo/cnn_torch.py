"""PyTorch on the APO study's CNN (docs/APO.md, amendment 2): the peer of claim 7.

Trains the architecture of Proxima's Models.cnn(seed, 1, 28, 28, 16, 32, 128, 10) in torch
(PyTorch's default initialization) on Fashion-MNIST standardized as the study does, with
SGD-momentum, for a number of steps of one batch, the training set reshuffled every epoch
from the seed; then scores the 10,000 test images in eval() mode (BatchNorm's running
statistics). Prints one line of key=value pairs that bench apo stores as a cell:
final_loss (mean training loss over the last 10% of the steps), test_metric (accuracy),
step_ms, steps_done, loss (100 means over equal parts of the run, comma-separated), and
the torch and Python versions.

Run by ./proxima bench apo --protocol full (TorchPeer.runScript) with Debian's /usr/bin/python3
(python3-torch). Amendment 2's cells ran it at 30aff23, where the model was written out here; the
same architecture now comes from train_torch.py.
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np
import torch
from torch import nn

from train_torch import cnn  # Models.cnn in torch, defined once for every peer (copied beside this script)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(directory, prefix, mean, std):
    images = read_idx(os.path.join(directory, prefix + "-images-idx3-ubyte.gz")).astype(np.float32)
    labels = read_idx(os.path.join(directory, prefix + "-labels-idx1-ubyte.gz")).astype(np.int64)
    x = (images / 255.0 - mean) / std
    return torch.from_numpy(x.reshape(-1, 1, 28, 28).astype(np.float32)), torch.from_numpy(labels)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--mean", type=float, required=True)
    p.add_argument("--std", type=float, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--momentum", type=float, required=True)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x, y = load(a.data, "train", a.mean, a.std)
    tx, ty = load(a.data, "t10k", a.mean, a.std)
    net = cnn()
    opt = torch.optim.SGD(net.parameters(), lr=a.lr, momentum=a.momentum)
    loss_fn = nn.CrossEntropyLoss()
    per_epoch = x.shape[0] // a.batch  # whole batches only, as the study's loader drops the last
    losses = []
    order = None
    net.train()
    start = time.perf_counter()
    for t in range(a.steps):
        i = t % per_epoch
        if i == 0:
            order = torch.from_numpy(np.random.RandomState(a.seed * 1000 + t // per_epoch).permutation(x.shape[0]))
        idx = order[i * a.batch:(i + 1) * a.batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
        value = loss.item()
        losses.append(value)
        if not np.isfinite(value) or value > 1e6:
            break
    step_ms = (time.perf_counter() - start) * 1000 / len(losses)
    done = len(losses)
    tail = max(1, a.steps // 10)
    finite = done == a.steps and np.isfinite(losses[-1]) and losses[-1] <= 1e6
    final_loss = float(np.mean(losses[-tail:])) if finite else float("nan")
    accuracy = float("nan")
    if finite:
        net.eval()
        correct = 0
        with torch.no_grad():
            for s in range(0, tx.shape[0], 1000):
                correct += (net(tx[s:s + 1000]).argmax(1) == ty[s:s + 1000]).sum().item()
        accuracy = correct / tx.shape[0]
    points = min(100, done)
    curve = [float(np.mean(losses[(k * done) // points:((k + 1) * done) // points])) for k in range(points)]
    print("final_loss=%r test_metric=%r step_ms=%r steps_done=%d loss=%s torch=%s python=%s"
          % (final_loss, accuracy, step_ms, done, ",".join(repr(v) for v in curve), torch.__version__, sys.version.split()[0]))


if __name__ == "__main__":
    main()

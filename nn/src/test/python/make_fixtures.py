#!/usr/bin/python3
"""Reference values for nn's layer and loss tests, from PyTorch (Debian python3-torch 1.13).

Run from the repository root:  /usr/bin/python3 nn/src/test/python/make_fixtures.py
Writes one JSON file per case under nn/src/test/resources/fixtures/. Each file holds the
layer's parameters and buffers (PyTorch's names, which are also ours), the inputs, a random
cotangent `cot` for the output, the output, and the gradients of <cot, output> with respect
to every input and parameter. Everything is float64 so the Java tests can use tight tolerances.
"""
import json, math, os
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "fixtures")
os.makedirs(OUT, exist_ok=True)

def enc(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}

def enc_int(t):
    return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()], "int": True}

def enc_state(sd):
    """A state dict: floating tensors as float64 values, integer buffers (BatchNorm's num_batches_tracked) as ints."""
    return {k: enc(v) if v.is_floating_point() else enc_int(v) for k, v in sd.items()}

def write(name, d):
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(d, f, separators=(",", ":"))

def case(name, module, inputs, run=None, int_inputs=None, train=True, extra=None):
    """inputs: dict name -> float tensor (gets gradients); int_inputs: dict name -> int tensor."""
    module.train(train)
    state = enc_state(module.state_dict())
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    ints = int_inputs or {}
    out = run(module, **leaves, **ints) if run else module(*leaves.values())
    cot = torch.randn_like(out)
    params = dict(module.named_parameters())
    wrt = list(leaves.values()) + list(params.values())
    grads = torch.autograd.grad(out, wrt, cot, allow_unused=True)
    names = ["input." + k for k in leaves] + list(params)
    d = {"state": state, "inputs": {k: enc(v) for k, v in inputs.items()},
         "ints": {k: enc_int(v) for k, v in ints.items()},
         "cot": enc(cot), "output": enc(out),
         "grads": {n: enc(g if g is not None else torch.zeros_like(w)) for n, g, w in zip(names, grads, wrt)},
         "after": enc_state(module.state_dict())}
    if extra: d.update(extra)
    write(name, d)

def fn_case(name, f, inputs, int_inputs=None, extra=None):
    """A loss or function of float inputs (and int inputs) with scalar or tensor output."""
    case(name, nn.Identity(), inputs, run=lambda m, **kw: f(**kw), int_inputs=int_inputs, extra=extra)

r = torch.randn
# ---- linear and activations ---------------------------------------------------------------
case("linear", nn.Linear(5, 3), {"x": r(4, 5)})
case("linear_3d", nn.Linear(5, 3), {"x": r(2, 3, 5)})
case("linear_nobias", nn.Linear(4, 2, bias=False), {"x": r(3, 4)})
for act, mod in [("relu", nn.ReLU()), ("gelu", nn.GELU()), ("gelu_tanh", nn.GELU(approximate="tanh")), ("silu", nn.SiLU()),
                 ("tanh", nn.Tanh()), ("sigmoid", nn.Sigmoid()), ("softmax", nn.Softmax(-1))]:
    case("act_" + act, mod, {"x": r(3, 4)})

# ---- convolution and pooling --------------------------------------------------------------
case("conv_basic", nn.Conv2d(3, 4, 3), {"x": r(2, 3, 6, 5)})
case("conv_stride_pad", nn.Conv2d(3, 4, (3, 2), stride=2, padding=1), {"x": r(2, 3, 7, 6)})
case("conv_dilation", nn.Conv2d(2, 3, 3, padding=2, dilation=2, bias=False), {"x": r(1, 2, 6, 6)})
case("conv_groups", nn.Conv2d(4, 6, 3, stride=1, padding=1, groups=2), {"x": r(2, 4, 5, 5)})
case("maxpool", nn.MaxPool2d(2), {"x": r(2, 3, 6, 4)})
case("maxpool_pad", nn.MaxPool2d(3, stride=2, padding=1), {"x": r(1, 2, 7, 7)})
case("avgpool", nn.AvgPool2d(2), {"x": r(2, 3, 6, 4)})
case("avgpool_pad", nn.AvgPool2d(3, stride=2, padding=1), {"x": r(1, 2, 7, 7)})
case("adaptive_avgpool", nn.AdaptiveAvgPool2d((2, 3)), {"x": r(2, 3, 5, 7)})
case("adaptive_avgpool_1", nn.AdaptiveAvgPool2d(1), {"x": r(2, 3, 4, 4)})

# ---- normalization ------------------------------------------------------------------------
def randomized(m):
    with torch.no_grad():
        for p in m.parameters(): p.copy_(torch.randn_like(p) * 0.5 + (1.0 if p.dim() == 1 and "weight" in "".join(n for n, q in m.named_parameters() if q is p) else 0.0))
    return m
bn1 = randomized(nn.BatchNorm1d(4))
case("batchnorm1d_train", bn1, {"x": r(6, 4)})
bn1e = randomized(nn.BatchNorm1d(4)); bn1e.running_mean.copy_(r(4)); bn1e.running_var.copy_(r(4).abs() + 0.5)
case("batchnorm1d_eval", bn1e, {"x": r(6, 4)}, train=False)
bn13 = randomized(nn.BatchNorm1d(3))
case("batchnorm1d_3d_train", bn13, {"x": r(4, 3, 5)})
bn2 = randomized(nn.BatchNorm2d(3))
case("batchnorm2d_train", bn2, {"x": r(4, 3, 3, 2)})
bn2e = randomized(nn.BatchNorm2d(3)); bn2e.running_mean.copy_(r(3)); bn2e.running_var.copy_(r(3).abs() + 0.5)
case("batchnorm2d_eval", bn2e, {"x": r(4, 3, 3, 2)}, train=False)
case("layernorm", randomized(nn.LayerNorm(5)), {"x": r(3, 4, 5)})
case("layernorm_2d", randomized(nn.LayerNorm((4, 5))), {"x": r(3, 4, 5)})

class RMSNorm(nn.Module):  # torch 1.13 has none; the definition of torch 2.4's nn.RMSNorm
    def __init__(self, d, eps=1e-6):
        super().__init__(); self.eps = eps; self.weight = nn.Parameter(torch.ones(d))
    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
case("rmsnorm", randomized(RMSNorm(5)), {"x": r(3, 4, 5)})

emb = nn.Embedding(7, 4)
case("embedding", emb, {}, run=lambda m, idx: m(idx), int_inputs={"idx": torch.tensor([[1, 6, 0], [3, 3, 2]])})

# ---- attention and transformers ----------------------------------------------------------
def randomize_biases(m):
    with torch.no_grad():
        for n, p in m.named_parameters():
            if "bias" in n: p.copy_(torch.randn_like(p) * 0.1)
    return m
E, H = 8, 2
mha = randomize_biases(nn.MultiheadAttention(E, H, batch_first=True))
causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)
case("mha_self", mha, {"x": r(2, 5, E)}, run=lambda m, x: m(x, x, x, need_weights=False)[0])
case("mha_causal", mha, {"x": r(2, 5, E)}, run=lambda m, x: m(x, x, x, attn_mask=causal, need_weights=False)[0])
pad = torch.tensor([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]])
case("mha_padding", mha, {"x": r(2, 5, E)}, int_inputs={"pad": pad},
     run=lambda m, x, pad: m(x, x, x, key_padding_mask=pad.bool(), need_weights=False)[0])
case("mha_cross", mha, {"q": r(2, 3, E), "kv": r(2, 5, E)}, int_inputs={"pad": pad},
     run=lambda m, q, kv, pad: m(q, kv, kv, key_padding_mask=pad.bool(), need_weights=False)[0])

for first in (False, True):
    tag = "pre" if first else "post"
    enc_layer = randomize_biases(nn.TransformerEncoderLayer(E, H, dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=first))
    case("encoder_" + tag, enc_layer, {"x": r(2, 5, E)}, int_inputs={"pad": pad},
         run=lambda m, x, pad: m(x, src_mask=causal, src_key_padding_mask=pad.bool()))
    dec_layer = randomize_biases(nn.TransformerDecoderLayer(E, H, dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=first, activation="gelu"))
    tmask = torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)
    case("decoder_" + tag, dec_layer, {"x": r(2, 4, E), "mem": r(2, 5, E)}, int_inputs={"pad": pad},
         run=lambda m, x, mem, pad: m(x, mem, tgt_mask=tmask, memory_key_padding_mask=pad.bool()))

# ---- residual block (ours: conv3x3-BN-ReLU-conv3x3-BN + shortcut, then ReLU; torchvision's BasicBlock)
class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))
case("resblock_down", randomized(Block(2, 4, 2)), {"x": r(2, 2, 6, 6)})
case("resblock_same", randomized(Block(3, 3, 1)), {"x": r(2, 3, 4, 4)})

# ---- losses -------------------------------------------------------------------------------
y = torch.tensor([2, 0, 3, 1, 3])
fn_case("loss_mse", lambda p, t: F.mse_loss(p, t), {"p": r(5, 3), "t": r(5, 3)})
fn_case("loss_l1", lambda p, t: F.l1_loss(p, t), {"p": r(5, 3), "t": r(5, 3)})
fn_case("loss_huber", lambda p, t: F.huber_loss(p, t, delta=0.7), {"p": r(5, 3), "t": r(5, 3)})
fn_case("loss_ce", lambda z, y: F.cross_entropy(z, y), {"z": r(5, 4)}, {"y": y})
fn_case("loss_ce_smooth_ignore", lambda z, y: F.cross_entropy(z, y, label_smoothing=0.2, ignore_index=3), {"z": r(5, 4)}, {"y": y},
        extra={"smoothing": 0.2, "ignore": 3})
fn_case("loss_nll", lambda lp, y: F.nll_loss(lp, y), {"lp": F.log_softmax(r(5, 4), 1)}, {"y": y})
fn_case("loss_bce", lambda z, t: F.binary_cross_entropy_with_logits(z, t), {"z": r(4, 3) * 3, "t": torch.rand(4, 3)})
fn_case("loss_kl", lambda a, b: F.kl_div(F.log_softmax(a, 1), F.softmax(b, 1), reduction="batchmean"), {"a": r(4, 5), "b": r(4, 5)})
# PyTorch's default ignore_index = -100 (appended last: the cases above keep their random draws).
y_pad = torch.tensor([2, -100, 3, -100, 0, 1])
fn_case("loss_ce_ignore_default", lambda z, y: F.cross_entropy(z, y), {"z": r(6, 4) * 2}, {"y": y_pad})
fn_case("loss_nll_ignore_default", lambda lp, y: F.nll_loss(lp, y), {"lp": F.log_softmax(r(6, 4), 1)}, {"y": y_pad})
print("fixtures written to", os.path.normpath(OUT))

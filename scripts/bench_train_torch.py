#!/usr/bin/python3
"""PyTorch-eager peer of `moore bench train`: the same shapes, the same steps, timed and measured the same way.

An all-MiniLM-L6-v2-shaped encoder (6 layers, 384 wide, 12 heads, FFN 1536, vocab 30522; random weights: only the
shapes matter here), one two-label linear head per task on the mean-pooled output, batches that mix the tasks,
exactly --length tokens per example, AdamW (decoupled weight decay 0.01), global-norm clipping at 1.0.
Methods: heads (frozen encoder), lora (r 8, alpha 16, dropout 0.05, every linear layer), full (the 36 linear
weights, as moore4j's full), moore (every linear layer: frozen SVD factors, task router D_t 64, sample router D_s
128, 8 Householder vectors in identical pairs, as moore4j's MooreLinear). Written as a PyTorch user would write
them for speed: the heads of a mixed batch are one batched product, and MoORE reflects V (d_in x k) rather than
every token (x H) V = x (H V), as moore4j does.

Debian's python3-torch (apt-get install python3-torch libopenblas0-pthread; run it with /usr/bin/python3, not a
pyenv one) links the reference BLAS through libblas.so.3; point it at Debian's OpenBLAS or its figures are about
ten times too slow:

    LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread /usr/bin/python3 scripts/bench_train_torch.py \
        --method lora --batch 16 --length 64 --tasks 4 --steps 40 --warmup 5 --threads 2

Prints one JSON object: examples_per_second and step_ms_median over the steps after the warm-up, and
peak_rss_mb, the process's maximum resident set (ru_maxrss).
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, WIDTH, LAYERS, HEADS, FFN, POSITIONS = 30522, 384, 6, 12, 1536, 512


class LoraLinear(nn.Module):
    def __init__(self, base: nn.Linear, r=8, alpha=16, dropout=0.05):
        super().__init__()
        self.base = base
        self.a = nn.Parameter(torch.empty(r, base.in_features))
        nn.init.kaiming_uniform_(self.a, a=math.sqrt(5))
        self.b = nn.Parameter(torch.zeros(base.out_features, r))
        self.scale = alpha / r
        self.drop = nn.Dropout(dropout)

    def forward(self, x, task):
        return self.base(x) + self.scale * F.linear(F.linear(self.drop(x), self.a), self.b)


class MooreLinear(nn.Module):
    def __init__(self, base: nn.Linear, tasks, d_t=64, d_s=128, householder=8):
        super().__init__()
        u, s, vh = torch.linalg.svd(base.weight.detach(), full_matrices=False)  # W [out, in] = U diag(s) Vh
        k = s.numel()
        self.register_buffer("u", u.contiguous())
        self.register_buffer("s", s.contiguous())
        self.register_buffer("v", vh.t().contiguous())
        self.register_buffer("bias", base.bias.detach().clone())
        self.task_embedding = nn.Parameter(torch.randn(tasks, d_t))
        self.task_linear = nn.Parameter(torch.zeros(k, d_t))
        bound = 1 / math.sqrt(base.in_features)
        self.gate_down = nn.Parameter(torch.empty(d_s, base.in_features).uniform_(-bound, bound))
        self.gate_up = nn.Parameter(torch.zeros(k, d_s))
        half = torch.randn(householder // 2, base.in_features)
        self.hra = nn.Parameter(torch.cat([half, half]))  # identical pairs: the chain starts at identity

    def forward(self, x, task):
        v = self.v
        for i in reversed(range(self.hra.shape[0])):  # H V with H = H_1 ... H_L: reflect V's rows, not every token
            h = self.hra[i]
            v = v - 2 * h.unsqueeze(-1) * (h @ v) / (h @ h)
        t = self.task_embedding[task] @ self.task_linear.t()  # [B, k]
        w = F.relu(self.s + t.unsqueeze(1) + F.linear(F.linear(x, self.gate_down), self.gate_up))
        return ((x @ v) * w) @ self.u.t() + self.bias


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(WIDTH, WIDTH) for _ in range(4))
        self.up, self.down = nn.Linear(WIDTH, FFN), nn.Linear(FFN, WIDTH)
        self.ln1, self.ln2 = nn.LayerNorm(WIDTH, eps=1e-12), nn.LayerNorm(WIDTH, eps=1e-12)

    def lin(self, name, x, task):
        m = getattr(self, name)
        return m(x) if isinstance(m, nn.Linear) else m(x, task)

    def forward(self, x, mask, task):
        b, n, _ = x.shape
        split = lambda y: y.view(b, n, HEADS, WIDTH // HEADS).transpose(1, 2)
        q, k, v = (split(self.lin(p, x, task)) for p in ("q", "k", "v"))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(WIDTH // HEADS) + mask, -1) @ v
        x = self.ln1(x + self.lin("o", a.transpose(1, 2).reshape(b, n, WIDTH), task))
        return self.ln2(x + self.lin("down", F.gelu(self.lin("up", x, task)), task))


class Model(nn.Module):
    def __init__(self, tasks):
        super().__init__()
        self.word, self.pos, self.token_type = nn.Embedding(VOCAB, WIDTH), nn.Embedding(POSITIONS, WIDTH), nn.Embedding(2, WIDTH)
        self.ln = nn.LayerNorm(WIDTH, eps=1e-12)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.head_w = nn.Parameter(torch.randn(tasks, 2, WIDTH) * 0.02)  # one two-label head per task
        self.head_b = nn.Parameter(torch.zeros(tasks, 2))

    def forward(self, ids, attention, task):
        pos = torch.arange(ids.shape[1])
        x = self.ln(self.word(ids) + self.pos(pos) + self.token_type(torch.zeros_like(ids)))
        mask = (1.0 - attention[:, None, None, :].float()) * -1e4
        for layer in self.layers:
            x = layer(x, mask, task)
        m = attention.unsqueeze(-1).float()
        pooled = (x * m).sum(1) / m.sum(1)
        return torch.einsum("bd,bld->bl", pooled, self.head_w[task]) + self.head_b[task]


def adapt(model, method, tasks):
    for p in model.parameters():
        p.requires_grad_(False)
    for layer in model.layers:
        for name in ("q", "k", "v", "o", "up", "down"):
            base = getattr(layer, name)
            if method == "lora":
                setattr(layer, name, LoraLinear(base))
            elif method == "moore":
                setattr(layer, name, MooreLinear(base, tasks))
            elif method == "full":
                base.weight.requires_grad_(True)
    model.head_w.requires_grad_(True)
    model.head_b.requires_grad_(True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", default="lora", choices=["heads", "lora", "full", "moore"])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--length", type=int, default=64)
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-4)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    model = Model(a.tasks)
    adapt(model, a.method, a.tasks)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01)
    ids = torch.full((a.batch, a.length), 1996)  # "the", as moore4j's synthetic texts
    ids[:, 0], ids[:, -1] = 101, 102  # [CLS] … [SEP]
    attention = torch.ones_like(ids)
    task = torch.arange(a.batch) % a.tasks
    labels = torch.arange(a.batch) // a.tasks % 2
    times = []
    model.train()
    for step in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(ids, attention, task), labels)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        times.append(time.perf_counter() - t0)
    timed = sorted(times[a.warmup:])
    print(json.dumps({
        "method": a.method, "batch": a.batch, "length": a.length, "tasks": a.tasks, "steps": a.steps, "warmup": a.warmup,
        "threads": a.threads, "trainable_parameters": sum(p.numel() for p in params), "torch": torch.__version__,
        "examples_per_second": a.batch * len(timed) / sum(timed), "step_ms_median": 1e3 * timed[len(timed) // 2],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
    }))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch peer for `quill bench train`: a minimal Llama (RMSNorm, RoPE, GQA causal attention, SwiGLU, untied head)
trained with AdamW on random tokens, timed on the CPU; prints one JSON object. Not a reference for Quill's numerics."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {  # name: (dim, layers, heads, kv_heads, ffn, vocab, batch, tokens), as TrainBenchCommand's
    "tiny": (64, 2, 4, 4, 192, 512, 8, 64),
    "small": (256, 4, 8, 8, 768, 4096, 8, 128),
    "24m": (288, 6, 6, 6, 768, 32000, 8, 256),
}


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_size, tokens, base=10000.0):
    freqs = 1.0 / (base ** (torch.arange(0, head_size, 2).float() / head_size))
    angles = torch.outer(torch.arange(tokens).float(), freqs)  # (T, D/2)
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """x (B, H, T, D), adjacent pairs rotated (GGUF's normal layout)."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


def attention(q, k, v):
    """Causal scaled dot-product attention; torch < 2.0 (Debian 12's 1.13) has no fused F.scaled_dot_product_attention."""
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)
    t = q.size(-2)
    scores = (q @ k.transpose(-2, -1)) / (q.size(-1) ** 0.5)
    mask = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
    return scores.masked_fill(mask, float("-inf")).softmax(-1) @ v


class Block(nn.Module):
    def __init__(self, dim, heads, kv_heads, ffn):
        super().__init__()
        self.heads, self.kv_heads, self.head_size = heads, kv_heads, dim // heads
        self.attn_norm, self.ffn_norm = RMSNorm(dim), RMSNorm(dim)
        self.wq = nn.Linear(dim, heads * self.head_size, bias=False)
        self.wk = nn.Linear(dim, kv_heads * self.head_size, bias=False)
        self.wv = nn.Linear(dim, kv_heads * self.head_size, bias=False)
        self.wo = nn.Linear(heads * self.head_size, dim, bias=False)
        self.gate = nn.Linear(dim, ffn, bias=False)
        self.up = nn.Linear(dim, ffn, bias=False)
        self.down = nn.Linear(ffn, dim, bias=False)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        n = self.attn_norm(x)
        q = self.wq(n).view(b, t, self.heads, self.head_size).transpose(1, 2)
        k = self.wk(n).view(b, t, self.kv_heads, self.head_size).transpose(1, 2)
        v = self.wv(n).view(b, t, self.kv_heads, self.head_size).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if self.kv_heads != self.heads:
            k = k.repeat_interleave(self.heads // self.kv_heads, dim=1)
            v = v.repeat_interleave(self.heads // self.kv_heads, dim=1)
        a = attention(q, k, v)
        x = x + self.wo(a.transpose(1, 2).reshape(b, t, -1))
        n = self.ffn_norm(x)
        return x + self.down(F.silu(self.gate(n)) * self.up(n))


class Llama(nn.Module):
    def __init__(self, dim, layers, heads, kv_heads, ffn, vocab, tokens):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, kv_heads, ffn) for _ in range(layers))
        self.norm = RMSNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        cos, sin = rope_tables(dim // heads, tokens)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, inputs, targets):
        x = self.embed(inputs)
        for block in self.blocks:
            x = block(x, self.cos, self.sin)
        logits = self.head(self.norm(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)).float(), targets.view(-1))


def measure(name, precision, steps, warmup, min_seconds):
    dim, layers, heads, kv_heads, ffn, vocab, batch, tokens = PRESETS[name]
    torch.manual_seed(1)
    model = Llama(dim, layers, heads, kv_heads, ffn, vocab, tokens)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    data = torch.randint(0, vocab, (batch, tokens + 1))
    inputs, targets = data[:, :-1].contiguous(), data[:, 1:].contiguous()

    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            loss = model(inputs, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(warmup):
        step()
    begin, done, loss = time.perf_counter(), 0, 0.0
    while done < steps or (time.perf_counter() - begin < min_seconds and done < 100):
        loss = step()
        done += 1
    seconds = time.perf_counter() - begin
    tps = batch * tokens * done / seconds
    return {"preset": name, "precision": precision, "params": params, "batch": f"{batch}x{tokens}", "steps": done,
            "step_ms": round(1000 * seconds / done, 1), "tokens_per_s": round(tps, 1),
            "gflops": round(6 * params * tps / 1e9, 2), "loss": round(loss, 4)}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--presets", default="tiny,small,24m")
    parser.add_argument("--precision", default="fp32,bf16")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--min-seconds", type=float, default=5.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = [measure(p, q, args.steps, args.warmup, args.min_seconds)
               for p in args.presets.split(",") for q in args.precision.split(",")]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))


if __name__ == "__main__":
    main()

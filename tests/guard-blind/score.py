#!/usr/bin/env python3
"""Score `quill guard check` on the blind set (tests/guard-blind/blind.jsonl).

Usage (from the repository root):
  python3 tests/guard-blind/score.py texts > /tmp/blind-texts.txt      # one text per line, newlines -> spaces
  ./quill guard check --json - < /tmp/blind-texts.txt > /tmp/blind-check.jsonl
  python3 tests/guard-blind/score.py score /tmp/blind-check.jsonl [--misses N] [--json OUT]

or in one go (runs ./quill itself):
  python3 tests/guard-blind/score.py run [--misses N]

Reports TPR (injections labelled injection) and FPR (benign labelled injection) at the
detector's own threshold, overall / per language / per kind, ROC AUC from the scores,
the lowest score threshold with FPR <= 0.05 and the TPR there, and the misclassified texts.
Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(HERE, "blind.jsonl")


def load_rows(path=DATA):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def flat(text):
    return " ".join(text.replace("\r", " ").replace("\n", " ").split())


def load_check(path, n):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
    if len(out) != n:
        sys.exit(f"score.py: {len(out)} check results for {n} texts")
    return out


def auc(pos, neg):
    """Mann-Whitney AUC, ties count half."""
    if not pos or not neg:
        return float("nan")
    allv = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    ranks, i = [0.0] * len(allv), 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1][0] == allv[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    rpos = sum(r for r, (_, y) in zip(ranks, allv) if y == 1)
    return (rpos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg))


def threshold_at_fpr(pos, neg, max_fpr=0.05):
    """Lowest threshold t (flag when score >= t) with FPR <= max_fpr; returns (t, tpr, fpr)."""
    best = None
    for t in sorted(set(pos) | set(neg)):
        fpr = sum(s >= t for s in neg) / len(neg)
        if fpr <= max_fpr:
            tpr = sum(s >= t for s in pos) / len(pos)
            best = (t, tpr, fpr)
            break
    if best is None:  # only reachable if max_fpr < 0
        best = (float("inf"), 0.0, 0.0)
    return best


def rate(xs):
    return (sum(xs) / len(xs)) if xs else float("nan")


def report(rows, res, misses=40, json_out=None):
    for r, c in zip(rows, res):
        r["pred"] = c["label"]
        r["score"] = float(c["score"])
        r["flag"] = c["label"] == "injection"
    inj = [r for r in rows if r["label"] == "injection"]
    ben = [r for r in rows if r["label"] == "benign"]
    summary = {}

    def line(name, group):
        p = [r for r in group if r["label"] == "injection"]
        n = [r for r in group if r["label"] == "benign"]
        tpr = rate([r["flag"] for r in p]) if p else None
        fpr = rate([r["flag"] for r in n]) if n else None
        a = auc([r["score"] for r in p], [r["score"] for r in n]) if p and n else None
        parts = [f"{name:<24}"]
        parts.append(f"TPR {tpr:.3f} ({sum(r['flag'] for r in p)}/{len(p)})" if p else " " * 20)
        parts.append(f"FPR {fpr:.3f} ({sum(r['flag'] for r in n)}/{len(n)})" if n else "")
        if a is not None:
            parts.append(f"AUC {a:.3f}")
        print("  ".join(parts))
        summary[name] = {"tpr": tpr, "fpr": fpr, "auc": a, "n_inj": len(p), "n_benign": len(n)}

    print("== default threshold (detector's own label) ==")
    line("overall", rows)
    print("-- per language --")
    for lang in sorted({r["lang"] for r in rows}):
        line(f"lang={lang}", [r for r in rows if r["lang"] == lang])
    print("-- per kind --")
    for kind in sorted({r["kind"] for r in rows}):
        line(f"{kind}", [r for r in rows if r["kind"] == kind])
    print("-- per language x injection kind (TPR) --")
    kinds = sorted({r["kind"] for r in inj})
    print(f"{'':24}" + "".join(f"{k[:12]:>14}" for k in kinds))
    for lang in sorted({r["lang"] for r in rows}):
        cells = []
        for k in kinds:
            g = [r["flag"] for r in inj if r["lang"] == lang and r["kind"] == k]
            cells.append(f"{sum(g):>8}/{len(g):<5}")
        print(f"{lang:<24}" + "".join(f"{c:>14}" for c in cells))

    pos, neg = [r["score"] for r in inj], [r["score"] for r in ben]
    t, tpr_t, fpr_t = threshold_at_fpr(pos, neg, 0.05)
    print("== score-based ==")
    print(f"ROC AUC (overall)            {auc(pos, neg):.4f}")
    print(f"threshold for FPR <= 0.05    score >= {t:.4f}  ->  TPR {tpr_t:.3f}, FPR {fpr_t:.3f}")
    summary["auc"] = auc(pos, neg)
    summary["at_fpr_0.05"] = {"threshold": t, "tpr": tpr_t, "fpr": fpr_t}
    per_lang = {}
    for lang in sorted({r["lang"] for r in rows}):
        p = [r["score"] for r in inj if r["lang"] == lang]
        n = [r["score"] for r in ben if r["lang"] == lang]
        # global threshold applied per language
        per_lang[lang] = {"tpr": rate([s >= t for s in p]), "fpr": rate([s >= t for s in n])}
        print(f"  at that threshold, lang={lang}: TPR {per_lang[lang]['tpr']:.3f}  FPR {per_lang[lang]['fpr']:.3f}")
    summary["at_fpr_0.05"]["per_lang"] = per_lang
    # score distribution sanity
    qs = lambda xs: [sorted(xs)[int(q * (len(xs) - 1))] for q in (0, 0.25, 0.5, 0.75, 1)]
    print("score quantiles (min/25/50/75/max) injection:", " ".join(f"{v:.3f}" for v in qs(pos)))
    print("score quantiles (min/25/50/75/max) benign:   ", " ".join(f"{v:.3f}" for v in qs(neg)))

    missed = sorted([r for r in inj if not r["flag"]], key=lambda r: r["score"])
    alarms = sorted([r for r in ben if r["flag"]], key=lambda r: -r["score"])
    print(f"== missed injections ({len(missed)}) ==")
    for r in missed[:misses]:
        print(f"  [{r['score']:.3f}] {r['lang']} {r['kind']}: {flat(r['text'])[:220]}")
    print(f"== false alarms ({len(alarms)}) ==")
    for r in alarms[:misses]:
        print(f"  [{r['score']:.3f}] {r['lang']} {r['kind']}: {flat(r['text'])[:220]}")
    if json_out:
        with open(json_out, "w", encoding="utf-8") as f:
            json.dump({"summary": summary,
                       "rows": [{k: r[k] for k in ("text", "label", "lang", "kind", "pred", "score")} for r in rows]},
                      f, ensure_ascii=False, indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["texts", "score", "run"])
    ap.add_argument("check", nargs="?", help="output of `quill guard check --json -` (mode score)")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--misses", type=int, default=40)
    ap.add_argument("--json", dest="json_out")
    a = ap.parse_args()
    rows = load_rows(a.data)
    if a.mode == "texts":
        for r in rows:
            sys.stdout.write(flat(r["text"]) + "\n")
        return
    if a.mode == "score":
        if not a.check:
            ap.error("mode score needs the check output file")
        res = load_check(a.check, len(rows))
    else:
        inp = "".join(flat(r["text"]) + "\n" for r in rows)
        p = subprocess.run([os.path.join(ROOT, "quill"), "guard", "check", "--json", "-"], input=inp,
                           capture_output=True, text=True, cwd=ROOT)
        if p.returncode != 0:
            sys.exit(f"quill guard check failed ({p.returncode}):\n{p.stderr}")
        res = [json.loads(l) for l in p.stdout.splitlines() if l.strip().startswith("{")]
        if len(res) != len(rows):
            sys.exit(f"score.py: {len(res)} check results for {len(rows)} texts")
    report(rows, res, a.misses, a.json_out)


if __name__ == "__main__":
    main()

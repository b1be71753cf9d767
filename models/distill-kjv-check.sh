#!/usr/bin/env bash
# The opt-in check of `quill distill` on real text (minutes, not part of ./test): a student distilled from the shipped demo
# model (models/kjv-demo.gguf, the teacher) must reach a lower held-out perplexity than the same student trained by
# `quill train` with plain cross-entropy on the same tokens, steps and seed. Text: the King James Bible from Debian's
# bible-kjv-text package, dumped as models/train-kjv-demo.sh does, so the teacher's held-out tail is held out here too.
# Usage: models/distill-kjv-check.sh [WORK_DIR] [STEPS]   (about 9 minutes on 2 cores for the default 1500 steps)
# Measured (1500 steps, 2 cores): held-out PPL teacher 35.08, distilled 38.35 ± 0.69, plain cross-entropy 43.56 ± 0.78; validation
# loss 3.816 against 3.945. `quill distill --alpha 0` with the same flags writes the plain run's weights bit for bit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/artifacts/distill-kjv}"
steps="${2:-1500}"
teacher="$root/models/kjv-demo.gguf"
mkdir -p "$work"
if ! command -v bible >/dev/null; then
  echo "installing bible-kjv-text (Debian)..." >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y bible-kjv-text >&2; else sudo apt-get install -y bible-kjv-text >&2; fi
fi
bible -l100000 gen1:1-rev22:21 | sed -E 's/^ +[0-9]+ //' | grep -v '^$' > "$work/kjv.txt"
# The last 1,200 verses (about 44k tokens) lie inside the last 5% of blocks that both runs, and the teacher's, hold out.
tail -n 1200 "$work/kjv.txt" > "$work/heldout.txt"
echo '{ "dim": 96, "layers": 2, "heads": 4, "kv_heads": 4, "ffn": 256, "context": 256 }' > "$work/student.json"
common=(--config "$work/student.json" --data "$work/kjv.txt" --steps "$steps" --seq-len 256 --batch-size 8 --lr 2e-3 --warmup 100
  --eval-every 250 --checkpoint-every 250 --seed 42 -t 2)
rm -rf "$work/distilled" "$work/plain"
"$root/quill" distill --teacher "$teacher" --temperature 2 --alpha 0.5 -o "$work/distilled" "${common[@]}"
"$root/quill" train --tokenizer "$teacher" -o "$work/plain" "${common[@]}"
ppl() { "$root/quill" perplexity -m "$1" -f "$work/heldout.txt" -c 256 --kv-type f32 -t 2 2>&1 | sed -n 's/^Final estimate: PPL = \([0-9.]*\).*/\1/p'; }
distilled=$(ppl "$work/distilled/model.gguf")
plain=$(ppl "$work/plain/model.gguf")
echo "held-out perplexity: teacher $(ppl "$teacher"), distilled student $distilled, plain cross-entropy student $plain"
awk -v d="$distilled" -v p="$plain" 'BEGIN { exit !(d < p) }' || { echo "FAIL: distillation did not beat plain cross-entropy" >&2; exit 1; }
echo "ok: the distilled student's held-out perplexity is lower"

#!/usr/bin/env bash
# Reproduces models/kjv-demo.gguf, the model `./quill demo` and `./quill generate` use when none is named: a small Llama
# pre-trained by `quill train` on the King James Bible from Debian's bible-kjv-text package (public domain).
# Usage: models/train-kjv-demo.sh [WORK_DIR]   (about 20 minutes on 2 cores; QUILL_RESUME=1 continues a stopped run)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/artifacts/kjv-demo}"
mkdir -p "$work"
if ! command -v bible >/dev/null; then
  echo "installing bible-kjv-text (Debian)..." >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y bible-kjv-text >&2; else sudo apt-get install -y bible-kjv-text >&2; fi
fi
# The whole text, one verse per line, without verse numbers; chapter headings ("Genesis 1") stay.
bible -l100000 gen1:1-rev22:21 | sed -E 's/^ +[0-9]+ //' | grep -v '^$' > "$work/kjv.txt"
if [ -n "${QUILL_RESUME:-}" ]; then
  "$root/quill" train --resume "$work/run" -t 2
else
  "$root/quill" train --config "$root/models/kjv-demo.config.json" --data "$work/kjv.txt" -o "$work/run" --name kjv-demo --vocab 2048 \
    --seq-len 256 --batch-size 8 --steps 3000 --lr 2e-3 --warmup 100 --eval-every 250 --checkpoint-every 250 --seed 42 \
    --out-type q8_0 -t 2
fi
cp "$work/run/model.gguf" "$root/models/kjv-demo.gguf"
echo "wrote $root/models/kjv-demo.gguf" >&2

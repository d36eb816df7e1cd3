#!/usr/bin/env bash
# Real model sizes (issue 15, item 5): random-weight checkpoints of bge-base and Qwen2.5-0.5B shapes, MoE-ized
# and trained for a few steps; prints one JSON object per measurement into OUT/*.json.
#   scripts/real_sizes.sh [OUT] [THREADS]       (OUT default runs/real-sizes; about 40 minutes on 2 cores)
#   KINDS=qwen0.5b scripts/real_sizes.sh ...     (one of them)
# The checkpoints go to $TMPDIR (2.4 GB) and the SVD factor cache to OUT/svd-cache (measured, then left there).
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-runs/real-sizes}"; threads="${2:-$(nproc)}"
mkdir -p "$out"
tmp="${TMPDIR:-/tmp}/moore4j-shaped"
export MOORE4J_CACHE="$(cd "$out" && pwd)/svd-cache"
for kind in ${KINDS:-bge-base qwen0.5b}; do
  dir="$tmp/$kind"
  [ -s "$dir/model.safetensors" ] || python3 "$home/scripts/shaped_checkpoint.py" "$kind" "$dir"
  # MoE-ize: SVD of every target layer (wall time and peak RSS from /usr/bin/time), and the factor cache it writes
  rm -rf "$MOORE4J_CACHE"
  /usr/bin/time -f '{"wall_seconds": %e, "peak_rss_kb": %M}' -o "$out/$kind-moeize-time.json" \
    "$home/bin/moore" moeize "$dir" --threads "$threads" --json > "$out/$kind-moeize.json"
  du -sb "$MOORE4J_CACHE" | awk '{printf "{\"factor_cache_mb\": %.1f}\n", $1/1e6}' > "$out/$kind-cache.json"
  for method in lora moore; do  # activations kept, then recomputed layer by layer (train --recompute)
    "$home/bin/moore" bench train --model "$dir" --method "$method" --batch 8 --length 256 --tasks 2 --steps 3 --warmup 1 \
      --threads "$threads" --json > "$out/$kind-train-$method.json"
    "$home/bin/moore" bench train --model "$dir" --method "$method" --batch 8 --length 256 --tasks 2 --steps 3 --warmup 1 \
      --threads "$threads" --recompute --json > "$out/$kind-train-$method-recompute.json"
  done
  if [ "$kind" = qwen0.5b ]; then
    "$home/bin/moore" generate "$dir" --prompt "w1 w2 w3 w4 w5 w6 w7 w8" --max-tokens 64 --threads "$threads" --json > "$out/$kind-generate.json"
  fi
done
echo "done: $out" >&2

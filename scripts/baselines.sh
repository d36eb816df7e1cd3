#!/usr/bin/env bash
# The NLU-MTL baseline comparison of docs/results/baselines-nlu-mtl.md, in the order this session ran it:
# the learning-rate sweep, then heads/full/LoRA/MoORE over 3 seeds, then every other method at seed 1,
# then the remaining seeds. Resumable: rerun it after any interruption; recorded runs are skipped.
#   scripts/baselines.sh [OUT]     (default runs/nlu-mtl; several hours on 2 cores for the whole matrix)
set -euo pipefail
out="${1:-runs/nlu-mtl}"
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
moore=("$home/bin/moore" suite nlu-mtl --out "$out" --threads "${MOORE4J_THREADS:-2}")
"${moore[@]}" --sweep > /dev/null
"${moore[@]}" --methods heads,full,lora,moore --seeds 1,2,3 > /dev/null
"${moore[@]}" --seeds 1 > /dev/null
"${moore[@]}"

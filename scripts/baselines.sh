#!/usr/bin/env bash
# A suite's full comparison (issue 16): every method's own rate sweep on the validation split, then heads, full,
# LoRA and MoORE over the suite's seeds, then every method (seed-major: all at the first seed before any second
# seed), then the conflict pass. Resumable: rerun it after any interruption; recorded runs are skipped.
#   scripts/baselines.sh [SUITE] [OUT]   (SUITE: nlu-mtl (default), csr-mtl or a suite file; OUT default runs/SUITE)
# Many hours on 2 cores for a whole built-in matrix; MOORE4J_JOBS=J runs J runs side by side (cores/J threads each).
# Its runs record their speed. To work beside it from another terminal without slowing them, lower that terminal's
# share with `echo 19 > /proc/self/autogroup`: where the kernel groups processes by session (autogroup, the default on
# most distributions), `nice` orders processes within a session only, and each session gets an equal share of the cores.
set -euo pipefail
suite="${1:-nlu-mtl}"
out="${2:-runs/$(basename "${suite%.*}")}"
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
moore=("$home/bin/moore" suite "$suite" --out "$out" --threads "${MOORE4J_THREADS:-2}" --jobs "${MOORE4J_JOBS:-1}")
"${moore[@]}" --sweep > /dev/null
"${moore[@]}" --methods heads,full,lora,moore > /dev/null
"${moore[@]}" > /dev/null
"${moore[@]}" --conflict

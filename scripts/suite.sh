#!/usr/bin/env bash
# Runs one results suite of docs/results: MoORE and "frozen encoder, heads only", 3 seeds each, then
# writes the table. Resumable: a run with a summary.json is skipped, an interrupted one resumes.
#   scripts/suite.sh nlu-mtl      (all-MiniLM-L6-v2; about 25 min on 2 cores)
#   scripts/suite.sh csr-mtl      (bge-small-en-v1.5; about 40 min on 2 cores)
set -euo pipefail
suite="${1:?usage: scripts/suite.sh nlu-mtl|csr-mtl [OUT]}"
out="${2:-runs/$suite}"
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "$suite" in
  nlu-mtl) args=(--model minilm --tasks nlu-mtl --max-train 1000 --max-eval 0 --max-length 128 --batch-size 16 --epochs 1) ;;
  csr-mtl) args=(--model bge-small --tasks csr-mtl --max-train 200 --max-eval 200 --max-length 96 --batch-size 8 --epochs 1) ;;
  *) echo "unknown suite '$suite' (nlu-mtl, csr-mtl)" >&2; exit 2 ;;
esac
common=(--lr 3e-4 --head-lr 2e-3 --schedule constant --warmup 0.1 --clip-norm 1.0 --threads "${MOORE4J_THREADS:-2}")
mkdir -p "$out"
for seed in 1 2 3; do
  for method in heads moore; do
    run="$out/$method-s$seed"
    if [ -f "$run/summary.json" ]; then
      echo "done already: $run" >&2
      continue
    fi
    echo "running: $run" >&2
    "$home/bin/moore" train "${args[@]}" "${common[@]}" --method "$method" --seed "$seed" --out "$run" --resume > "$out/$method-s$seed.txt" 2> "$out/$method-s$seed.log" \
      || echo "failed: $run (see $out/$method-s$seed.log)" >&2
  done
done
"$home/bin/moore" report "$out" --title "$suite" --command "scripts/suite.sh $suite"

#!/usr/bin/env bash
# The ONNX Runtime Java peer of `moore bench embed` (scripts/BenchEmbedOrt.java): same model file, tokenizer,
# sentences and pooling. Arguments pass through (--batch --iters --warmup --threads, or --once TEXT).
#   scripts/bench_embed_ort.sh --batch 64 --threads 2
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cp="$home/target/test-classpath.txt"
if [ ! -s "$cp" ] || [ "$home/pom.xml" -nt "$cp" ]; then
  (cd "$home" && mvn -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp" >&2)
fi
exec java -Dai.djl.offline=true -cp "$(cat "$cp")" "$home/scripts/BenchEmbedOrt.java" "$@"

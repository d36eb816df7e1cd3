#!/usr/bin/env bash
# The ONNX Runtime Java peer of `moore bench embed` (scripts/BenchEmbedOrt.java): same model file, tokenizer,
# sentences and pooling. Arguments pass through (--batch --iters --warmup --threads, or --once TEXT).
#   scripts/bench_embed_ort.sh --batch 64 --threads 2
# The first call resolves the test class path (ONNX Runtime, DJL's tokenizer) and compiles the peer into
# target/ort-peer; later calls start the compiled class, as a user's program would.
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cp="$home/target/test-classpath.txt"
classes="$home/target/ort-peer"
if [ ! -s "$cp" ] || [ "$home/pom.xml" -nt "$cp" ]; then
  (cd "$home" && mvn -q -B -pl core -am dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp" >&2)
fi
if [ ! -f "$classes/BenchEmbedOrt.class" ] || [ "$home/scripts/BenchEmbedOrt.java" -nt "$classes/BenchEmbedOrt.class" ]; then
  mkdir -p "$classes" && javac -d "$classes" -cp "$(cat "$cp")" "$home/scripts/BenchEmbedOrt.java"
fi
exec java -Dai.djl.offline=true -cp "$classes:$(cat "$cp")" BenchEmbedOrt "$@"

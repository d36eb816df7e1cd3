#!/usr/bin/env bash
# Coverage-guided fuzzing with Jazzer, one reader at a time (Jazzer fuzzes one target per JVM):
#   scripts/fuzz.sh                 every target, 60 s each (ReaderFuzzTest.MAX)
#   scripts/fuzz.sh hfTokenizer onnx
# Findings land in src/test/resources/dev/moore4j/fuzz/ReaderFuzzTestInputs/TARGET/ (commit them: mvn test
# replays them); the growing corpus lives in .cifuzz-corpus/ and carries over to the next run.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(safetensors onnx llama2c llama2cTokenizer hfConfig hfTokenizer glueTsv llmAdaptersJson jsonl taskSpecYaml trainConfig adapterConfig adapterWeights)
mvn -q -B -pl core -am test-compile || exit 1
status=0
for t in "${targets[@]}"; do
  echo "== fuzzing $t" >&2
  JAZZER_FUZZ=1 mvn -B -pl core surefire:test -Dtest="ReaderFuzzTest#$t" -Dsurefire.failIfNoSpecifiedTests=false > "target/fuzz-$t.log" 2>&1 || status=1
  grep -E "^#[0-9]+ *(DONE|NEW|REDUCE|pulse)|Done [0-9]+ runs|FuzzTestFinding|== Java Exception" "target/fuzz-$t.log" | tail -3 >&2
done
exit $status

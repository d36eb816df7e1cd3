#!/usr/bin/env bash
# moore spark against `moore embed` in one process, on the same N texts (docs/results/spark.md):
#   1. `moore embed minilm --input texts.jsonl` (one JVM, 2 threads);
#   2. `moore spark embed` on local[1] (1 thread) and local[2] (one model per JVM, 2 threads);
#   3. a standalone cluster on this machine: one master and two workers (1 core each) on loopback, started from the
#      Spark jars bin/moore already has (the classes the distribution's sbin/start-*.sh scripts run).
# Wall time and peak RSS per process (/usr/bin/time), the job's own rows/s, each executor's peak RSS, and the largest
# difference between any two outputs.   scripts/bench_spark.sh [N]   (default 10000; files in $OUT)
set -euo pipefail
home="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-10000}"
out="${OUT:-/tmp/moore-spark-bench}"
mkdir -p "$out"
moore="$home/bin/moore"
# the texts: the first N sentences of SST-2's training set, read from ../shared when the benchmark runs
python3 - "$home" "$n" > "$out/texts.jsonl" <<'PY'
import json, os, sys
home, n = sys.argv[1], int(sys.argv[2])
shared = os.environ.get("MOORE4J_SHARED", os.path.join(os.path.dirname(home), "shared"))
with open(os.path.join(shared, "data", "glue", "sst2", "train.tsv")) as f:
    next(f)
    for i, line in zip(range(n), f):
        print(json.dumps({"id": i, "text": line.split("\t")[0].strip()}))
PY
"$moore" spark --help > /dev/null   # builds the spark module first, outside the timings
measure() {
  local name="$1"; shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" > "$out/$name.out" 2> "$out/$name.err" || { tail -5 "$out/$name.err"; exit 1; }
  read -r wall rss < "$out/$name.time"
  printf '%-14s wall %6.1f s  %7.1f rows/s  peak RSS %5d MB  %s\n' "$name" "$wall" "$(echo "$n / $wall" | bc -l)" "$((rss / 1024))" \
    "$(grep -o '"rows_per_second":[0-9.]*' "$out/$name.out" | sed 's/"rows_per_second":/job rows\/s /')"
}
measure embed-process "$moore" embed minilm --input "$out/texts.jsonl" --threads 2 --json
measure spark-local1 "$moore" spark embed --model minilm --input "$out/texts.jsonl" --output "$out/local1.jsonl" --overwrite \
  --master 'local[1]' --threads-per-executor 1 --partitions 4 --json
measure spark-local2 "$moore" spark embed --model minilm --input "$out/texts.jsonl" --output "$out/local2.jsonl" --overwrite \
  --master 'local[2]' --threads-per-executor 2 --partitions 4 --json

# the cluster: a Spark home whose jars/ are the module's dependencies
lib="$home/spark/target/lib"
mkdir -p "$out/spark-home"
ln -sfn "$lib" "$out/spark-home/jars"
export SPARK_HOME="$out/spark-home" SPARK_SCALA_VERSION=2.13
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; }
trap cleanup EXIT
java -cp "$lib/*" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 7077 --webui-port 18080 > "$out/master.log" 2>&1 &
pids+=($!)
sleep 5
for w in 1 2; do
  mkdir -p "$out/work$w"
  java -cp "$lib/*" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory 3g --webui-port "1808$w" \
    --work-dir "$out/work$w" spark://127.0.0.1:7077 > "$out/worker$w.log" 2>&1 &
  pids+=($!)
done
sleep 8
: > "$out/executor-rss.txt"
( while true; do ps -eo rss=,args= | awk '/CoarseGrainedExecutorBackend/ && !/awk/ {print $1}' >> "$out/executor-rss.txt"; sleep 0.5; done ) &
pids+=($!)
measure spark-cluster "$moore" spark embed --model minilm --input "$out/texts.jsonl" --output "$out/cluster.jsonl" --overwrite \
  --master spark://127.0.0.1:7077 --threads-per-executor 1 --partitions 4 \
  --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 --conf spark.executor.cores=1 --conf spark.cores.max=2 \
  --conf spark.executor.memory=1g --conf "spark.executor.extraClassPath=$home/spark/target/moore4j-spark.jar" \
  --conf "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Dmoore4j.home=$home -Dorg.slf4j.simpleLogger.defaultLogLevel=warn" --json
echo "executor peak RSS: $(sort -n "$out/executor-rss.txt" | tail -1 | awk '{printf "%d MB", $1/1024}') (largest of the executors, sampled every 0.5 s)"
python3 - "$out" <<'PY'
import json, sys, itertools
out = sys.argv[1]
runs = {}
for name in ("local1", "local2", "cluster"):
    with open(f"{out}/{name}.jsonl") as f:
        runs[name] = {r["id"]: r["embedding"] for r in map(json.loads, f)}
with open(f"{out}/embed-process.out") as f:
    runs["process"] = dict(enumerate(json.load(f)["embeddings"]))
worst = 0.0
for a, b in itertools.combinations(runs, 2):
    assert runs[a].keys() == runs[b].keys(), (a, b)
    d = max(abs(x - y) for k in runs[a] for x, y in zip(runs[a][k], runs[b][k]))
    print(f"max |difference| {a} vs {b}: {d:.2e}")
    worst = max(worst, d)
print(f"rows: {len(runs['process'])}; largest difference between any two outputs: {worst:.2e}")
PY

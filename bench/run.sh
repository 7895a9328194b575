#!/usr/bin/env bash
# Builds bench/target/benchmarks.jar and runs jmirror's benchmark plan (io.jmirror.bench.BenchRunner).
#
#   bench/run.sh [--quick] [--include REGEX]... [--out DIR]
#
# --quick: 2 x 1 s warmup, 3 x 1 s measurement (a smoke run; its error bars are wide).
# Results (raw JMH JSON and a markdown report) go to bench/results unless --out says otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

mvn -B -q -DskipTests -pl bench -am package

# The report quotes this command line, so a reader can re-run exactly what produced the numbers.
args=""
if [ $# -gt 0 ]; then args=$(printf ' %q' "$@"); fi
export JMIRROR_BENCH_COMMAND="bench/run.sh${args}"
exec java -cp bench/target/benchmarks.jar io.jmirror.bench.BenchRunner "$@"

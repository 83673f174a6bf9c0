#!/usr/bin/env bash
# A long fuzzing campaign: every target (or those named) for SECONDS each,
# one after the other, at low priority, with the binaries fuzz/run.sh (or
# `cargo +nightly fuzz build -O`) built. Crashes, timeouts and running out
# of memory do not stop a target: each input is kept in
# fuzz/artifacts/TARGET/ and the run goes on. Logs: fuzz/logs/TARGET.log.
#
#   fuzz/campaign.sh SECONDS [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/campaign.sh SECONDS [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
# Plugin schemas keep their names for the whole run (leaked on purpose).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
bin=target/x86_64-unknown-linux-gnu/release
mkdir -p logs
for t in "${targets[@]}"; do
  case $t in
    definitions | expression | fmt) max_len=16384 ;;
    *) max_len=65536 ;;
  esac
  mkdir -p "artifacts/$t" "corpus/$t"
  start=$(date +%s)
  nice -n 10 "$bin/$t" "corpus/$t" -artifact_prefix="artifacts/$t/" \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -timeout=10 -detect_leaks=0 -max_len="$max_len" >"logs/$t.log" 2>&1 || true
  last=$(grep -E '^#[0-9]+: cov' "logs/$t.log" | tail -1)
  echo "$t: $(( $(date +%s) - start ))s; $last; artifacts: $(ls "artifacts/$t" | wc -l)"
done

#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 20) each, one after the other,
# from a corpus seeded by fuzz/seed.sh. Downloads no toolchain: it uses
# the nightly toolchain when rustup has one (with AddressSanitizer), and
# otherwise the default (stable) toolchain with RUSTC_BOOTSTRAP=1, which
# lets it take the nightly-only flags cargo-fuzz passes, and
# `--sanitizer none` (AddressSanitizer needs the nightly standard library).
# Rust panics and the assertions of the targets are found either way.
# TERRACE_FUZZ_TOOLCHAIN=stable (or nightly) chooses instead.
# TERRACE_FUZZ_RUNS=N, for CI: each target tries N inputs from seed 1
# (SECONDS stays a cap), starting from a fresh corpus seeded from the
# repository, so a run depends neither on earlier runs nor on the machine's
# speed. (The seeds made by running terrace carry times and ids, so those
# few bytes differ between runs.)
# Installs cargo-fuzz when absent (`cargo install cargo-fuzz --locked`).
# The build is kept in fuzz/target/ between runs. Exits 1 when a target finds a crash; the input
# is left in fuzz/artifacts/TARGET/.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
# TERRACE_FUZZ_TOOLCHAIN=stable takes the stable path where nightly is
# installed too (to try what a machine without nightly runs).
toolchain=${TERRACE_FUZZ_TOOLCHAIN:-}
if [ -z "$toolchain" ]; then
  toolchain=stable
  if command -v rustup >/dev/null 2>&1 && rustup toolchain list | grep -q '^nightly'; then
    toolchain=nightly
  fi
fi
if [ "$toolchain" = nightly ]; then
  cargo=(cargo +nightly)
  build_flags=(-O)
else
  # Only the fuzz build sees RUSTC_BOOTSTRAP (fuzz/seed.sh's `cargo build`
  # of terrace does not). `+stable` only where rustup is.
  cargo=(env RUSTC_BOOTSTRAP=1 cargo)
  if command -v rustup >/dev/null 2>&1; then
    cargo+=(+stable)
  fi
  build_flags=(-O --sanitizer none)
fi
if ! "${cargo[@]}" fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd fuzz && "${cargo[@]}" fuzz list)
fi
corpus=fuzz/corpus
if [ -n "${TERRACE_FUZZ_RUNS:-}" ]; then
  corpus=$(mktemp -d)
  trap 'rm -rf "$corpus"' EXIT
fi
TERRACE_FUZZ_CORPUS=$(realpath "$corpus") fuzz/seed.sh >/dev/null
"${cargo[@]}" fuzz build "${build_flags[@]}"
# Plugin schemas keep their names for the whole run (leaked on purpose).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
mkdir -p fuzz/logs
for t in "${targets[@]}"; do
  # Limits: 2 GB of memory, 10 s per input. Definitions stay under 16 KiB,
  # so that no line reaches the column where diagnostics cannot be drawn
  # (issue 11 §3, fixed apart).
  case $t in
    definitions | expression | fmt) max_len=16384 ;;
    *) max_len=65536 ;;
  esac
  repeat=()
  if [ -n "${TERRACE_FUZZ_RUNS:-}" ]; then
    repeat=(-seed=1 -runs="$TERRACE_FUZZ_RUNS")
  fi
  status=0
  "${cargo[@]}" fuzz run "${build_flags[@]}" "$t" "$(realpath "$corpus/$t")" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -timeout=10 -detect_leaks=0 -max_len="$max_len" -print_final_stats=1 "${repeat[@]}" \
    >"fuzz/logs/$t.log" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "fuzz/logs/$t.log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "fuzz/logs/$t.log" | tail -1 || true)
  echo "fuzz $t: ${seconds}s, $execs runs, $cov"
  if [ "$status" -ne 0 ]; then
    grep -E -A15 'panicked|ERROR: libFuzzer|SUMMARY' "fuzz/logs/$t.log" | head -40 >&2
    echo "fuzz $t: failed (exit $status), the input is in fuzz/artifacts/$t/" >&2
    exit 1
  fi
done

#!/usr/bin/env bash
# Runs the cargo fuzz targets (fuzz/fuzz_targets: feed, api, cursor) for a bounded time each.
#
#   scripts/fuzz.sh [target ...]          fuzz FUZZ_SECONDS (default 60) per target
#   scripts/fuzz.sh --merge [target ...]  minimize the checked-in and the kept corpus into fuzz/corpus/
#
# Inputs: fuzz/seeds/<target>/ (hand-written, named; the feed target also reads the parser's test
# fixtures and samples/feeds), fuzz/corpus/<target>/ (what earlier runs found, minimized to one
# input per covered edge by --merge, checked in), and $TRACKER_TOOLS_DIR/fuzz-corpus/<target>/ (what
# runs on this machine found since, kept between runs). A crash fails the script and leaves its input
# in fuzz/artifacts/<target>/: fix the bug and move the input to fuzz/regressions/<target>/.
# shared/tests/fuzz_corpus.rs replays seeds, corpus and regressions on every cargo test.
#
# cargo fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain take them. The build is
# without a sanitizer (FUZZ_SANITIZER=address to change): the code under test is safe Rust, and the
# plain build compiles and runs about twice as fast.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1 CARGO_TERM_COLOR=never

if ! cargo fuzz --version 2>/dev/null | grep -q "0.13.2"; then
  echo "== installing cargo-fuzz 0.13.2" >&2
  cargo install cargo-fuzz@0.13.2 --locked --quiet
fi

merge=false
if [ "${1:-}" = "--merge" ]; then
  merge=true
  shift
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(feed api cursor)
seconds="${FUZZ_SECONDS:-60}"
sanitizer="${FUZZ_SANITIZER:-none}"
kept="${TRACKER_TOOLS_DIR:-$(pwd)/.tools}/fuzz-corpus"

echo "== cargo fuzz build (sanitizer: $sanitizer)" >&2
cargo fuzz build --sanitizer "$sanitizer"

for target in "${targets[@]}"; do
  seeds=("fuzz/seeds/$target" "fuzz/corpus/$target" "fuzz/regressions/$target")
  max_len=4096
  if [ "$target" = feed ]; then
    seeds+=(shared/tests/fixtures samples/feeds)
    max_len=65536
  fi
  mkdir -p "$kept/$target" "fuzz/corpus/$target" "fuzz/regressions/$target"
  if $merge; then
    echo "== minimizing fuzz/corpus/$target and $kept/$target (one input per covered edge)" >&2
    merged=$(mktemp -d)
    cargo fuzz run --sanitizer "$sanitizer" "$target" "$merged" "fuzz/corpus/$target" "$kept/$target" -- \
      -set_cover_merge=1 -use_counters=0 -max_len="$max_len" 2>&1 | grep '^MERGE-OUTER: .* new files' >&2
    rm -rf "fuzz/corpus/$target"
    mv "$merged" "fuzz/corpus/$target"
    continue
  fi
  echo "== fuzzing $target for ${seconds}s" >&2
  log="$kept/$target.log"
  if ! cargo fuzz run --sanitizer "$sanitizer" "$target" "$kept/$target" "${seeds[@]}" -- \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 80 "$log" >&2
    echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/, the log in $log" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" | tr '\n' ' ' >&2
  echo "corpus: $(find "$kept/$target" -type f | wc -l) inputs" >&2
done

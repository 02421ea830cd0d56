#!/usr/bin/env bash
# Runs every fuzz target for the given number of seconds each, one after the other, and prints
# the executions and corpus size per target. Installs what it needs: the pinned nightly (via
# rustup) and cargo-fuzz (via cargo install) when missing.
#
# Usage: fuzz/run.sh SECONDS [TARGET...]
#   SECONDS  time per target (libFuzzer's -max_total_time)
#   TARGET   the targets to run (default: all; see `cargo fuzz list`)
# Environment: FUZZ_JOBS (default 1) parallel fuzzing jobs per target; FUZZ_TOOLCHAIN;
# CARGO_TARGET_DIR.
#
# A finding stops that target; its input is saved under fuzz/artifacts/<target>/, and the
# script goes on with the next target and exits with status 1 at the end. Replay one with
# `cargo +nightly-2026-05-20 fuzz run <target> fuzz/artifacts/<target>/<file>`.
set -euo pipefail

# The nightly whose rustc reports "1.97.0-nightly (e50aa6fba 2026-05-19)"; its channel is dated
# 2026-05-20 (the same one .ci/miri uses). Override with FUZZ_TOOLCHAIN.
TOOLCHAIN=${FUZZ_TOOLCHAIN:-nightly-2026-05-20}

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
per_target=$1
shift

cd "$(dirname "$0")"

if ! rustup run "$TOOLCHAIN" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$TOOLCHAIN" --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo "+$TOOLCHAIN" fuzz list)
fi

mkdir -p logs
failed=()
summary=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    log="logs/$target.log"
    echo "== $target: fuzzing for ${per_target}s"
    status=0
    cargo "+$TOOLCHAIN" fuzz run "$target" --jobs "${FUZZ_JOBS:-1}" -- \
        -max_total_time="$per_target" -print_final_stats=1 >"$log" 2>&1 || status=$?
    execs=$(grep -h 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
    corpus=$(find "corpus/$target" -type f | wc -l)
    line="$target: ${execs} executions, corpus of ${corpus} inputs"
    if [[ $status -ne 0 ]]; then
        line="$line, FAILED (status $status; see fuzz/$log and fuzz/artifacts/$target/)"
        failed+=("$target")
        grep -h -m1 -A3 "panicked at" "$log" || tail -n 20 "$log"
    fi
    echo "$line"
    summary+=("$line")
done

echo
echo "== summary (${per_target}s per target)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "findings in: ${failed[*]}"
    exit 1
fi

#!/usr/bin/env bash
# Runs every test of the workspace. Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --all-targets "$@"

#!/usr/bin/env bash
# Runs every test of the workspace against real local servers (DynamoDB Local, moto S3),
# installing and starting them first. Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-servers.sh
source scripts/test-servers.sh
cargo test --workspace --all-targets "$@"

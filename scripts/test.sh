#!/usr/bin/env bash
# Runs every test: the Rust workspace against real local servers (DynamoDB Local, moto S3),
# then the browser end-to-end test (tracker serve + headless Chromium).
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-servers.sh
source scripts/test-servers.sh
cargo test --workspace --all-targets "$@"

echo "== browser end-to-end (tests/e2e)" >&2
command -v node >/dev/null || { echo "node is not installed: apt-get install nodejs npm" >&2; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "Chromium is not installed: apt-get install chromium" >&2; exit 1; }
cargo build -q -p tracker
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --silent)
fi
node --test tests/e2e/

echo "== infrastructure: cfn-lint, sam validate --lint, template/code and SAM/CDK parity (infra/tests)" >&2
INFRA_VENV="${TRACKER_TOOLS_DIR:-$(pwd)/.tools}/infra-venv"
if ! "$INFRA_VENV/bin/pip" freeze 2>/dev/null | grep -q "^cfn-lint==1.58.0"; then
  python3 -m venv "$INFRA_VENV"
  "$INFRA_VENV/bin/pip" install --quiet -r infra/requirements.txt
fi
if [ ! -d infra/node_modules/aws-cdk-lib ]; then
  (cd infra && npm ci --no-audit --no-fund --silent)
fi
AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline SAM_CLI_TELEMETRY=0 \
  "$INFRA_VENV/bin/sam" validate --lint --region us-east-1 --template template.yaml
PATH="$INFRA_VENV/bin:$PATH" "$INFRA_VENV/bin/pytest" -q infra/tests

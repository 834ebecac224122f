#!/usr/bin/env bash
# Runs every test: the Rust workspace against real local servers (DynamoDB Local, moto S3) and the
# real Lambda emulator, the browser end-to-end test (tracker serve + headless Chromium),
# schemathesis, feedparser and jsonfeed-util reading the feeds out, the parser against feedparser's
# own test suite (tests/feed-conformance), the alerts walk-through (curl
# and the sample receiver against tracker serve), the cargo-lambda smoke test, the
# infrastructure checks with a deploy of the SAM and CDK stacks on moto, `sam build` + `sam local invoke`/`start-api` in Docker
# (scripts/sam-local.sh, which installs Docker and qemu), and a bounded cargo fuzz run of each
# fuzz target.
# Installs the system packages it needs when they are missing (Debian: Java 17 for DynamoDB Local,
# Node/npm, Chromium, python3-venv, curl, shellcheck, make, a C++ compiler for cargo fuzz; as root or
# through sudo).
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v npm >/dev/null || need+=(npm)
command -v curl >/dev/null || need+=(curl)
command -v c++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v shellcheck >/dev/null || need+=(shellcheck)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need+=(chromium)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}" >&2
  sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need[@]}"
fi
# shellcheck source=scripts/test-servers.sh
source scripts/test-servers.sh
cargo test --workspace --all-targets "$@"

echo "== cargo deny: banned crates (the legacy AWS HTTP stack), licences, sources (deny.toml)" >&2
DENY_ROOT="${TRACKER_TOOLS_DIR:-$(pwd)/.tools}/cargo"
if ! "$DENY_ROOT/bin/cargo-deny" --version 2>/dev/null | grep -q "0.20.2"; then
  cargo install cargo-deny@0.20.2 --locked --quiet --root "$DENY_ROOT"
fi
"$DENY_ROOT/bin/cargo-deny" --log-level error check bans licenses sources

echo "== browser end-to-end (tests/e2e)" >&2
command -v node >/dev/null || { echo "node is not installed: apt-get install nodejs npm" >&2; exit 1; }
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "Chromium is not installed: apt-get install chromium" >&2; exit 1; }
# The binary cargo test built above (a separate cargo build would resolve features differently and rebuild).
[ -x target/debug/tracker ] || { echo "target/debug/tracker is missing: cargo test did not build it" >&2; exit 1; }
if [ ! -d tests/e2e/node_modules/playwright-core ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --silent)
fi
node --test tests/e2e/

echo "== API fuzzing: schemathesis against tracker serve and openapi.json" >&2
ST_VENV="${TRACKER_TOOLS_DIR:-$(pwd)/.tools}/st-venv"
if ! "$ST_VENV/bin/pip" freeze 2>/dev/null | grep -q "^schemathesis==4.32.5"; then
  python3 -m venv "$ST_VENV"
  "$ST_VENV/bin/pip" install --quiet -r tests/api-fuzz/requirements.txt
fi
ST_PORT=$(free_port)
ST_DATA=$(mktemp -d)
# An admin with both metrics scopes reaches every protected route; minted first, so serve uses its key.
ST_TOKEN=$(target/debug/tracker token --data-dir "$ST_DATA" --sub 0195f0a2-7c5e-7d6b-8a1f-00000000abcd \
  --email schemathesis@example.com --group admin --scope metrics/read --scope metrics/write)
target/debug/tracker serve --port "$ST_PORT" --feeds samples/feeds.json --data-dir "$ST_DATA" 2>"$ST_DATA/serve.log" &
ST_PID=$!
trap 'kill $DDB_PID $S3_PID $ST_PID 2>/dev/null || true' EXIT
wait_http "http://127.0.0.1:$ST_PORT/health" "tracker serve" "$ST_DATA/serve.log"
# No 5xx, and every status, content type and body as openapi.json documents it: anonymously (the
# public routes answer, the protected ones the documented 401), then signed in.
ST_CHECKS=not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance
"$ST_VENV/bin/st" run openapi.json --url "http://127.0.0.1:$ST_PORT" --generation-database none --max-examples 30 \
  --checks "$ST_CHECKS"
"$ST_VENV/bin/st" run openapi.json --url "http://127.0.0.1:$ST_PORT" --generation-database none --max-examples 30 \
  --checks "$ST_CHECKS" --header "Authorization: Bearer $ST_TOKEN"
kill "$ST_PID"

echo "== feeds out: feedparser reads /news.atom, jsonfeed-util /news.json (tests/feeds-out)" >&2
FEEDS_VENV="${TRACKER_TOOLS_DIR:-$(pwd)/.tools}/feeds-venv"
# (Re)installs when a pinned requirement is not in the venv.
if grep -v '^#' tests/feeds-out/requirements.txt | grep -vxFf <("$FEEDS_VENV/bin/pip" freeze 2>/dev/null) | grep -q .; then
  python3 -m venv "$FEEDS_VENV"
  "$FEEDS_VENV/bin/pip" install --quiet -r tests/feeds-out/requirements.txt
fi
"$FEEDS_VENV/bin/python" tests/feeds-out/consume.py

echo "== feeds in: the parser against feedparser's own test suite (tests/feed-conformance)" >&2
"$FEEDS_VENV/bin/python" tests/feed-conformance/run.py

echo "== alerts walk-through: tracker serve, curl, the sample receiver (tests/alerts/walkthrough.sh)" >&2
bash tests/alerts/walkthrough.sh

echo "== infrastructure: cfn-lint, sam validate --lint, template/code and SAM/CDK parity (infra/tests)" >&2
if [ ! -d infra/node_modules/aws-cdk-lib ]; then
  (cd infra && npm ci --no-audit --no-fund --silent)
fi
echo "== cargo lambda smoke test: the api binary under cargo lambda watch, invoked with events/health.json" >&2
CL_PORT=$(free_port)
CL_LOG="${TRACKER_TOOLS_DIR:-$(pwd)/.tools}/logs/cargo-lambda.log"
AWS_ACCESS_KEY_ID=smoke AWS_SECRET_ACCESS_KEY=smoke AWS_REGION=us-east-1 \
  AWS_ENDPOINT_URL_DYNAMODB="$TRACKER_TEST_DYNAMODB_URL" NEWS_TABLE=smoke-news USERS_TABLE=smoke-users METRICS_TABLE=smoke-metrics ALERTS_TABLE=smoke-alerts \
  PATH="$INFRA_VENV/bin:$PATH" cargo lambda watch -A 127.0.0.1 -P "$CL_PORT" >"$CL_LOG" 2>&1 &
CL_PID=$!
trap 'kill $DDB_PID $S3_PID $CL_PID 2>/dev/null || true' EXIT
wait_http "http://127.0.0.1:$CL_PORT/" "cargo lambda watch" "$CL_LOG"
PATH="$INFRA_VENV/bin:$PATH" cargo lambda invoke api --data-file events/health.json -A 127.0.0.1 -P "$CL_PORT" >"$CL_LOG.out"
python3 - "$CL_LOG.out" <<'PY'
import json, sys
response = json.load(open(sys.argv[1]))
assert response["statusCode"] == 200, response
assert json.loads(response["body"])["status"] == "ok", response
print("cargo lambda smoke test: api answered events/health.json with 200")
PY
kill "$CL_PID"

AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline SAM_CLI_TELEMETRY=0 \
  "$INFRA_VENV/bin/sam" validate --lint --region us-east-1 --template template.yaml
PATH="$INFRA_VENV/bin:$PATH" "$INFRA_VENV/bin/pytest" -q infra/tests

echo "== sam local invoke and start-api: every function in Docker on the stand-in base image (scripts/sam-local.sh)" >&2
scripts/sam-local.sh

echo "== parser and request fuzzing: cargo fuzz, ${FUZZ_SECONDS:-60}s per target (scripts/fuzz.sh)" >&2
scripts/fuzz.sh

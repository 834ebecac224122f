#!/usr/bin/env bash
# Measures and prints the product's figures as markdown tables: binary sizes, Lambda cold starts
# under the real Runtime Interface Emulator, in-process API latency, tracker serve under load, ingest of 10
# real feeds into DynamoDB Local, and parse + classify throughput next to rss and feed-rs.
# Figures vary by machine; re-run rather than trust old numbers. Loopback traffic only.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/test-servers.sh
source scripts/test-servers.sh
BINS=(tracker api ingest maintenance)
cargo build -q --release -p tracker -p api-functions -p ingest -p maintenance

echo "## Binary sizes (host: profile release; Lambda: sam build, profile lambda = release at opt-level s)"
for b in "${BINS[@]}"; do echo "host $b: $(( $(stat -c %s "target/release/$b") / 1024 )) KiB"; done
# sam build from an empty target folder, as on a fresh machine: the Makefile builds each package once.
SAM_TARGET="$PWD/target/sam-bench"; SAM_OUT="$PWD/target/sam-bench-out"
rm -rf "$SAM_TARGET" "$SAM_OUT"
started=$(date +%s)
CARGO_TARGET_DIR="$SAM_TARGET" AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline SAM_CLI_TELEMETRY=0 \
  PATH="$INFRA_VENV/bin:$PATH" sam build --region us-east-1 --build-dir "$SAM_OUT" >"$SAM_OUT.log" 2>&1 \
  || { tail -n 30 "$SAM_OUT.log" >&2; exit 1; }
echo; echo "sam build from empty: $(( $(date +%s) - started )) s"
echo; echo "| function | arm64 bootstrap |"; echo "| --- | --- |"
for dir in "$SAM_OUT"/*Function; do
  echo "| $(basename "$dir") | $(stat -c %s "$dir/bootstrap") bytes ($(( $(stat -c %s "$dir/bootstrap") / 1024 )) KiB) |"
done
scripts/check-artifacts.sh "$SAM_OUT" >/dev/null

echo; echo "## Lambda cold starts under the real emulator (aws-lambda-rie): Init Duration and first answer, 20 runs"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_DYNAMODB="$TRACKER_TEST_DYNAMODB_URL" AWS_ENDPOINT_URL_S3="$TRACKER_TEST_S3_URL"
export NEWS_TABLE=startup-news USERS_TABLE=startup-users METRICS_TABLE=startup-metrics ALERTS_TABLE=startup-alerts ARCHIVE_BUCKET=startup-bucket
FEEDS_JSON=$(python3 -c 'import json,os; print(json.dumps([{"name": n, "url": os.path.abspath(f"samples/feeds/{n}.xml")} for n in ("espn-nba", "realgm-wiretap")]))')
export FEEDS_JSON
target/release/tracker ingest --once --store dynamodb --create-tables >/dev/null
echo; echo "| function | event | init p50 ms | init p90 ms | first answer p50 ms | first answer p90 ms | answered |"; echo "| --- | --- | --- | --- | --- | --- | --- |"
for pair in api:events/news-list.json api:events/users-list.json api:events/metrics-list.json \
            ingest:events/ingest-schedule.json maintenance:events/maintenance-schedule.json; do
  fn=${pair%%:*}; event=${pair#*:}
  python3 scripts/bench/cold_start.py "$TRACKER_TEST_RIE" "target/release/$fn" "$event" 20 --markdown
done

echo; echo "## API latency in-process, sequential requests through the router"
echo; cargo bench -q -p api-functions --bench latency 2>/dev/null

echo; echo "## Alerts: item stored to webhook received (loopback receiver), 300 items"
echo; cargo bench -q -p notify --bench alert_latency 2>/dev/null

echo; echo "## tracker serve under load (second process on loopback, 10 s, 2 threads, 32 connections)"
SERVE_PORT=$(free_port); SERVE_DATA=$(mktemp -d)
target/release/tracker serve --port "$SERVE_PORT" --feeds samples/feeds.json --data-dir "$SERVE_DATA" 2>/dev/null &
SERVE_PID=$!
trap 'kill $DDB_PID $S3_PID $SERVE_PID 2>/dev/null || true' EXIT
wait_http "http://127.0.0.1:$SERVE_PORT/health" "tracker serve" /dev/null
sleep 1
if ! command -v wrk >/dev/null; then apt-get install -y -qq wrk >/dev/null 2>&1 || true; fi
if command -v wrk >/dev/null; then
  echo; echo "| route | requests/s | latency p50 | latency p99 |"; echo "| --- | --- | --- | --- |"
  for path in "/news?limit=20" "/news/stats" "/health"; do
    wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$SERVE_PORT$path" | awk -v p="$path" '
      /Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
      END {printf "| GET %s | %s | %s | %s |\n", p, rps, p50, p99}'
  done
else
  echo "wrk is not installed (apt-get install wrk): skipped"
fi
kill "$SERVE_PID"

echo; echo "## Ingest of 10 real feeds from a local HTTP server into DynamoDB Local"
echo; ( source scripts/bench/ingest_bench.sh )

echo; echo "## Parse + classify throughput on testdata/feeds (criterion)"
echo; echo "| benchmark | time per corpus | throughput |"; echo "| --- | --- | --- |"
cargo bench -q -p shared --bench parse_classify -- --warm-up-time 1 --measurement-time 3 2>/dev/null | awk '
  /^real_feeds\/|^classify\// {name=$1; if (NF > 1 && $2 == "time:") {t=$4" "$5}}
  /time:/ && name {split($0, a, "["); split(a[2], b, " "); t=b[3]" "b[4]}
  /thrpt:/ && name {split($0, a, "["); split(a[2], b, " "); printf "| %s | %s | %s %s |\n", name, t, b[3], b[4]; name=""}'

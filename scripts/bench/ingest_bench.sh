#!/usr/bin/env bash
# Ingest of 10 real feeds served by a local HTTP server, into DynamoDB Local and a local S3:
# wall time, peak RSS, DynamoDB requests and consumed capacity, for a first run and for an
# unchanged second run. Prints one JSON line per run. Expects test-servers.sh to be sourced.
set -euo pipefail
FEEDS_DIR="${FEEDS_DIR:-testdata/feeds}"
WORK=$(mktemp -d)
mkdir -p "$WORK/www"
ls "$FEEDS_DIR"/*.xml | head -n 10 | xargs -I{} cp {} "$WORK/www/"
HTTP_PORT=$(free_port)
python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$WORK/www" >"$WORK/http.log" 2>&1 &
HTTP_PID=$!
wait_http "http://127.0.0.1:$HTTP_PORT/" "feed server" "$WORK/http.log"
python3 - "$HTTP_PORT" "$WORK/www" > "$WORK/feeds.json" <<'PY'
import json, os, sys
port, www = sys.argv[1], sys.argv[2]
print(json.dumps([{"name": f[:-4], "url": f"http://127.0.0.1:{port}/{f}"} for f in sorted(os.listdir(www))]))
PY
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
# The feed server is on loopback, which the fetcher refuses unless allowed by name.
export FEEDS_ALLOW_PRIVATE=127.0.0.1
export AWS_ENDPOINT_URL_DYNAMODB="$TRACKER_TEST_DYNAMODB_URL" AWS_ENDPOINT_URL_S3="$TRACKER_TEST_S3_URL"
export NEWS_TABLE="bench-$RANDOM-news" USERS_TABLE="bench-$RANDOM-users" METRICS_TABLE="bench-$RANDOM-metrics" ALERTS_TABLE="bench-$RANDOM-alerts" ARCHIVE_BUCKET="bench-$RANDOM"
for run in first unchanged; do
  RUST_LOG=shared::store::dynamo=debug /usr/bin/time -v target/release/tracker ingest --once --store dynamodb --create-tables \
    --feeds "$WORK/feeds.json" >"$WORK/$run.json" 2>"$WORK/$run.err"
  python3 - "$run" "$WORK/$run.json" "$WORK/$run.err" <<'PY'
import json, re, sys
run, out = sys.argv[1], json.load(open(sys.argv[2]))
err = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[3]).read())
ops = re.findall(r'op="?(\w+)"?.*?capacity_units=([\d.]+)', err)
writes = sum(1 for op, _ in ops if op in ("BatchWriteItem", "PutItem", "TransactWriteItems"))
wall = re.search(r"Elapsed \(wall clock\) time.*?: (?:(\d+):)?(\d+):([\d.]+)", err)
seconds = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))) if wall else None
rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
print(json.dumps({"run": run, "feeds": len(out["feeds"]), "items_new": out["items_new"], "wall_s": seconds,
                  "peak_rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None,
                  "dynamodb_requests": len(ops), "dynamodb_write_requests": writes,
                  "capacity_units": round(sum(float(u) for _, u in ops), 1)}))
PY
done
kill "$HTTP_PID"

#!/usr/bin/env bash
# The README's alerts walk-through, run for real: tracker serve with --allow-local-webhooks, a
# token, a subscription created with curl, the sample receiver (scripts/sample_receiver.py)
# checking every signature, a test alert, then an ingest run whose new trade stories arrive, once
# each.
# Usage: tests/alerts/walkthrough.sh (after cargo built target/debug/tracker).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/test-servers.sh
source scripts/test-servers.sh >/dev/null
TRACKER=target/debug/tracker
DATA=$(mktemp -d)
OUT="$DATA/alerts.jsonl"
API_PORT=$(free_port)
RX_PORT=$(free_port)
API="http://127.0.0.1:$API_PORT"
# The test alert and one alert per trade story of the sample feeds.
EXPECTED_DELIVERIES=8
pids=()
trap 'kill "${pids[@]}" "$DDB_PID" "$S3_PID" 2>/dev/null || true' EXIT

serve() { # extra args...
  "$TRACKER" serve --allow-local-webhooks --port "$API_PORT" --data-dir "$DATA" "$@" 2>>"$DATA/serve.log" &
  pids+=($!)
  wait_http "$API/health" "tracker serve" "$DATA/serve.log"
}

# 1. The API, without ingest for now, and a token for a signed-in user.
serve --no-ingest
TOKEN=$("$TRACKER" token --data-dir "$DATA" --sub 0195f0a2-7c5e-7d6b-8a1f-0123456789ab --email fan@example.com)

# 2. A subscription to every trade (min_confidence 0: the sample feeds' trades all count).
curl -sf -X POST "$API/users/me/subscriptions" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d "{\"filters\": {\"categories\": [\"Trade\"], \"min_confidence\": 0}, \"channel\": {\"type\": \"webhook\", \"url\": \"http://127.0.0.1:$RX_PORT/\"}}" \
  >"$DATA/subscription.json"
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$DATA/subscription.json")
SECRET=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["secret"])' "$DATA/subscription.json")

# 3. The sample receiver, checking signatures with the secret.
python3 scripts/sample_receiver.py --port "$RX_PORT" --secret "$SECRET" --out "$OUT" >/dev/null 2>"$DATA/receiver.log" &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$RX_PORT/" && break; sleep 0.1; done
curl -s -o /dev/null "http://127.0.0.1:$RX_PORT/" || { echo "the sample receiver did not start" >&2; cat "$DATA/receiver.log" >&2; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$RX_PORT/" -H 'X-Timestamp: 1' -H 'X-Signature: sha256=00' -d '{}')
[ "$status" = 401 ] || { echo "the receiver accepted a forged request ($status)" >&2; exit 1; }

# 4. A test alert.
curl -sf -X POST "$API/users/me/subscriptions/$ID/test" -H "authorization: Bearer $TOKEN" >"$DATA/test.json"
python3 - "$DATA/test.json" "$OUT" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
assert result["delivered"] is True, result
alerts = [json.loads(line) for line in open(sys.argv[2])]
assert [a["event"] for a in alerts] == ["test"], alerts
PY

# 5. tracker serve again, now ingesting the sample feeds, their items dated this last hour
# (alerts are for news: an item published a day before it is stored alerts nobody): each new
# trade story arrives once.
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
python3 - "$DATA" <<'PY'
import email.utils, itertools, json, pathlib, re, sys, time
out = pathlib.Path(sys.argv[1])
feeds = json.load(open("samples/feeds.json"))
for feed in feeds:
    minutes = itertools.count()
    text = re.sub(
        r"<pubDate>[^<]*</pubDate>",
        lambda _: f"<pubDate>{email.utils.formatdate(time.time() - 60 * next(minutes), usegmt=True)}</pubDate>",
        open(feed["url"]).read(),
    )
    fresh = out / pathlib.Path(feed["url"]).name
    fresh.write_text(text)
    feed["url"] = str(fresh)
json.dump(feeds, open(out / "feeds.json", "w"))
PY
serve --feeds "$DATA/feeds.json" --interval 1h
deliveries() {
  curl -sf "$API/users/me/subscriptions/$ID/deliveries?limit=100" -H "authorization: Bearer $TOKEN" >"$DATA/deliveries.json"
  python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$DATA/deliveries.json"
}
for _ in $(seq 300); do
  [ "$(deliveries)" -ge "$EXPECTED_DELIVERIES" ] && break
  sleep 0.1
done
python3 - "$OUT" "$DATA/deliveries.json" "$EXPECTED_DELIVERIES" <<'PY'
import json, sys
alerts = [json.loads(line) for line in open(sys.argv[1])]
news = [a for a in alerts if a["event"] == "news.item"]
want = int(sys.argv[3]) - 1
assert len(news) == want, f"{len(news)} trade alerts: {news}"
assert len({a["item"]["id"] for a in news}) == want, "each trade once"
assert len({a["item"]["story_id"] for a in news}) == want, "each story once"
assert all(a["item"]["category"] == "Trade" for a in news)
deliveries = json.load(open(sys.argv[2]))["items"]
assert sum(d["outcome"] == "delivered" for d in deliveries) == want + 1, deliveries
print(f"alerts walk-through: a test alert and {want} trade stories delivered once each, every signature checked")
PY

#!/usr/bin/env python3
"""Regenerates events/: a scheduled event per scheduled function, a DynamoDB stream batch for
notify, and an API Gateway HTTP API
(payload 2.0) request per route, plus bad-input and access-control requests. Protected routes
carry the claims API Gateway's JWT authorizer puts in requestContext.authorizer.jwt (every value
a string, arrays as "[a b]"), as the deployed functions receive them. Usable with `sam local invoke -e`
and `cargo lambda invoke --data-file`; tests push every file through the real handlers."""
import hashlib, json, os

OUT = os.path.join(os.path.dirname(__file__), "..", "events")
NEWS_ID = hashlib.sha256(b"news-1").hexdigest()  # first item of samples/feeds/espn-nba.xml
USER_ID = "0195f0a2-7c5e-7d6b-8a1f-0123456789ab"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example"

def claims(sub, **extra):
    return {"sub": sub, "iss": ISSUER, "token_use": "id", "exp": "1795352400", "iat": "1795348800", **extra}

# Who calls: a user with a verified email (the profile's owner), another user, an admin, the
# credential of device sensor-1 (client credentials: client_id = sub), another device's, and a
# machine reader with metrics/read.
OWNER = {"claims": claims(USER_ID, email="fan@example.com", email_verified="true")}
OTHER = {"claims": claims("0195f0a2-7c5e-7d6b-8a1f-fedcba987654", email="rival@example.com", email_verified="true")}
ADMIN = {"claims": claims("0195f0a2-7c5e-7d6b-8a1f-0000000000ad", email="ops@example.com", email_verified="true",
                          **{"cognito:groups": "[admin]"})}
def device(client_id, scopes):
    return {"claims": {**claims(client_id, client_id=client_id, token_use="access"), "scope": " ".join(scopes)},
            "scopes": scopes}
SENSOR_1 = device("sensor-1", ["metrics/write"])
SENSOR_2 = device("sensor-2", ["metrics/write"])
READER = device("dashboard", ["metrics/read"])

def schedule(rule):
    return {
        "version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2026-11-22T12:00:00Z", "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule}"], "detail": {},
    }

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/nba-tracker-prod-news/stream/2026-11-30T00:00:00.000"
TRADE_ID = hashlib.sha256(b"stream-trade-1").hexdigest()

def ddb(value):
    """A value in DynamoDB JSON."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float)):
        return {"N": str(value)}
    if isinstance(value, list):
        return {"L": [ddb(v) for v in value]}
    return {"M": {k: ddb(v) for k, v in value.items()}}

def stream_record(n, event_name, keys, image):
    change = {"ApproximateCreationDateTime": 1795348800, "Keys": {k: ddb(v) for k, v in keys.items()},
              "SequenceNumber": f"{n}00000000000000000001", "SizeBytes": 512, "StreamViewType": "NEW_IMAGE"}
    if image is not None:
        change["NewImage"] = {k: ddb(v) for k, v in image.items()}
    return {"eventID": f"event-{n}", "eventName": event_name, "eventVersion": "1.1", "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1", "dynamodb": change, "eventSourceARN": STREAM_ARN}

# A news item as the news table stores it (fields plus index keys), a team link, a feed state.
TRADE = {"id": TRADE_ID, "title": "Celtics trade Jrue Holiday to Trail Blazers for Anfernee Simons",
         "link": "https://www.espn.com/nba/story/holiday-trade", "summary": "Boston sends the veteran guard to Portland.",
         "source": "ESPN", "category": "Trade", "confidence": 0.97,
         "evidence": [{"phrase": "trade", "category": "Trade", "weight": 3, "in": "title"}],
         "teams": ["BOS", "POR"], "players": ["Anfernee Simons", "Jrue Holiday"], "story_id": TRADE_ID,
         "published_at": "2026-11-22T11:58:00Z", "fetched_at": "2026-11-22T12:00:00Z",
         "kind": "news", "sort_key": f"2026-11-22T11:58:00Z#{TRADE_ID}", "category_source": "Trade#ESPN"}
STREAM = {"Records": [
    stream_record(1, "INSERT", {"id": TRADE_ID}, TRADE),
    stream_record(2, "INSERT", {"id": f"team#BOS#{TRADE_ID}"},
                  {"id": f"team#BOS#{TRADE_ID}", "team_key": "BOS", "sort_key": TRADE["sort_key"], "item": TRADE}),
    stream_record(3, "MODIFY", {"id": "feed#espn-nba"},
                  {"id": "feed#espn-nba", "feed": "espn-nba", "kind": "feed", "sort_key": "espn-nba", "consecutive_failures": 0}),
]}

def http(method, path, route, query="", body=None, content_type="application/json", path_params=None, jwt=None,
         authorization=None):
    headers = {"accept": "application/json", "host": "api.example.com", "user-agent": "curl/8.5.0"}
    if authorization:
        headers["authorization"] = authorization
    if body is not None and content_type:
        headers["content-type"] = content_type
    event = {
        "version": "2.0", "routeKey": f"{method} {route}", "rawPath": path, "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123", "domainName": "api.example.com", "domainPrefix": "api",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl/8.5.0"},
            "requestId": "req-1", "routeKey": f"{method} {route}", "stage": "$default",
            "time": "22/Nov/2026:12:00:00 +0000", "timeEpoch": 1795348800000,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&"))
    if path_params:
        event["pathParameters"] = path_params
    if jwt:
        event["requestContext"]["authorizer"] = {"jwt": jwt}
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event

EVENTS = {
    "ingest-schedule.json": schedule("nba-tracker-ingest"),
    "ingest-scheduler-v2.json": {},
    "maintenance-schedule.json": schedule("nba-tracker-maintenance"),
    "notify-stream.json": STREAM,
    "health.json": http("GET", "/health", "/health"),
    "news-list.json": http("GET", "/news", "/news", "limit=5"),
    "news-list-filtered.json": http("GET", "/news", "/news", "category=Trade&source=ESPN&since=2026-11-01&until=2026-11-30&limit=10"),
    "news-get.json": http("GET", f"/news/{NEWS_ID}", "/news/{id}", path_params={"id": NEWS_ID}),
    "news-stats.json": http("GET", "/news/stats", "/news/stats", "since=2026-11-01T00:00:00Z"),
    "news-list-team.json": http("GET", "/news", "/news", "team=lac&category=Trade&limit=10"),
    "teams.json": http("GET", "/teams", "/teams"),
    "stories.json": http("GET", "/stories", "/stories", "team=BOS&limit=10"),
    "sources.json": http("GET", "/sources", "/sources"),
    "news-atom.json": http("GET", "/news.atom", "/news.atom", "category=Trade"),
    "news-json-feed.json": http("GET", "/news.json", "/news.json", "team=LAC"),
    "users-create.json": http("POST", "/users", "/users", body={"username": "hoopsfan"}, jwt=OWNER),
    "users-list.json": http("GET", "/users", "/users", "limit=10", jwt=ADMIN),
    "users-me-get.json": http("GET", "/users/me", "/users/me", jwt=OWNER),
    "users-me-update.json": http("PATCH", "/users/me", "/users/me", body={"version": 1, "username": "hoopsfan2"}, jwt=OWNER),
    "users-me-delete.json": http("DELETE", "/users/me", "/users/me", jwt=OWNER),
    "users-get.json": http("GET", f"/users/{USER_ID}", "/users/{id}", path_params={"id": USER_ID}, jwt=ADMIN),
    "users-update.json": http("PATCH", f"/users/{USER_ID}", "/users/{id}", body={"version": 2, "username": "hoopsfan3"},
                              path_params={"id": USER_ID}, jwt=ADMIN),
    "users-delete.json": http("DELETE", f"/users/{USER_ID}", "/users/{id}", path_params={"id": USER_ID}, jwt=ADMIN),
    "metrics-put.json": http("POST", "/devices/sensor-1/metrics", "/devices/{device_id}/metrics",
                             body={"timestamp": 1795348800000, "temperature": 21.5, "humidity": 40, "status": "ok"},
                             path_params={"device_id": "sensor-1"}, jwt=SENSOR_1),
    "metrics-put-batch.json": http("POST", "/devices/sensor-1/metrics", "/devices/{device_id}/metrics",
                                   body=[{"timestamp": 1795348800000 + i * 60000, "temperature": 20 + i, "humidity": 40 + i} for i in range(5)],
                                   path_params={"device_id": "sensor-1"}, jwt=SENSOR_1),
    "metrics-list.json": http("GET", "/devices/sensor-1/metrics", "/devices/{device_id}/metrics", "from=1795348800000&to=1795352400000&limit=10",
                              path_params={"device_id": "sensor-1"}, jwt=READER),
    "metrics-summary.json": http("GET", "/devices/sensor-1/metrics/summary", "/devices/{device_id}/metrics/summary",
                                 "from=2026-11-22T00:00:00Z&to=2026-11-23T00:00:00Z", path_params={"device_id": "sensor-1"}, jwt=READER),
    "denied-users-list-anonymous.json": http("GET", "/users", "/users", "limit=10"),
    "denied-users-list-not-admin.json": http("GET", "/users", "/users", "limit=10", jwt=OTHER),
    "denied-users-get-other.json": http("GET", f"/users/{USER_ID}", "/users/{id}", path_params={"id": USER_ID}, jwt=OTHER),
    "denied-users-delete-other.json": http("DELETE", f"/users/{USER_ID}", "/users/{id}", path_params={"id": USER_ID}, jwt=OTHER),
    "denied-users-me-forged-header.json": http("GET", "/users/me", "/users/me",
                                               authorization="Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."),
    "denied-metrics-put-other-device.json": http("POST", "/devices/sensor-1/metrics", "/devices/{device_id}/metrics",
                                                 body={"timestamp": 1795348800000, "temperature": 99}, path_params={"device_id": "sensor-1"},
                                                 jwt=SENSOR_2),
    "denied-metrics-list-device.json": http("GET", "/devices/sensor-1/metrics", "/devices/{device_id}/metrics",
                                            path_params={"device_id": "sensor-1"}, jwt=SENSOR_1),
    "bad-news-limit.json": http("GET", "/news", "/news", "limit=500"),
    "bad-news-category.json": http("GET", "/news", "/news", "category=Draft"),
    "bad-news-cursor.json": http("GET", "/news", "/news", "cursor=not-a-cursor"),
    "bad-news-since.json": http("GET", "/news", "/news", "since=yesterday"),
    "bad-news-team.json": http("GET", "/news", "/news", "team=Lakers"),
    "bad-news-team-source.json": http("GET", "/news", "/news", "team=LAL&source=ESPN"),
    "bad-news-stats-window.json": http("GET", "/news/stats", "/news/stats", "since=2025-01-01&until=2026-11-30"),
    "bad-users-json.json": http("POST", "/users", "/users", body='{"username": "x",', jwt=OTHER),
    "bad-users-email.json": http("POST", "/users", "/users", body={"username": "hoopsfan", "email": "someone@example.com"}, jwt=OTHER),
    "bad-users-content-type.json": http("POST", "/users", "/users", body="username=x", content_type="text/plain", jwt=OTHER),
    "bad-metrics-window.json": http("GET", "/devices/sensor-1/metrics", "/devices/{device_id}/metrics", "from=1795352400000&to=1795348800000",
                                    path_params={"device_id": "sensor-1"}, jwt=READER),
    "bad-metrics-batch.json": http("POST", "/devices/sensor-1/metrics", "/devices/{device_id}/metrics",
                                   body=[{"timestamp": 1795348800000 + i} for i in range(101)], path_params={"device_id": "sensor-1"},
                                   jwt=SENSOR_1),
    "subscriptions-create.json": http("POST", "/users/me/subscriptions", "/users/me/subscriptions",
                                      body={"filters": {"categories": ["Trade"], "teams": ["BOS"]},
                                            "channel": {"type": "webhook", "url": "https://hooks.example.com/nba"}}, jwt=OWNER),
    "subscriptions-list.json": http("GET", "/users/me/subscriptions", "/users/me/subscriptions", jwt=OWNER),
    "bad-route.json": http("GET", "/nope", "$default"),
    "bad-method.json": http("PUT", "/news", "$default", body={}),
}

for name, event in EVENTS.items():
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(event, f, indent=2)
        f.write("\n")
print(f"wrote {len(EVENTS)} events")

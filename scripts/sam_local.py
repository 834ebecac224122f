#!/usr/bin/env python3
"""`sam local invoke` of every function with files of events/, and `sam local start-api` for a few
routes, on the artifacts of `sam build`, in Docker containers of the stand-in base image, against
DynamoDB Local and moto. Run by scripts/sam-local.sh, which installs and starts what this needs and
exports: SAM (the sam executable), BUILD_DIR (sam build's output), TRACKER (a tracker binary),
DDB_HOST_URL / DDB_BRIDGE_URL (DynamoDB Local from the host / from containers), S3_BRIDGE_URL (a
moto reachable from containers), FEEDS_BRIDGE_URL (the sample feeds over HTTP, from containers),
STS_URL (a moto on loopback that answers the SAM CLI's own STS call). Exits non-zero on any
unexpected answer.
"""
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
import yaml

from rie import free_port, wait_listening

ROOT = Path(__file__).resolve().parents[1]
ENV = os.environ
BUILD = Path(ENV["BUILD_DIR"])
TABLES = {"NEWS_TABLE": "local-news", "USERS_TABLE": "local-users", "METRICS_TABLE": "local-metrics",
          "ALERTS_TABLE": "local-alerts"}
BUCKET = "local-archive"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
               "AWS_DEFAULT_REGION": "us-east-1"}


def create_tables():
    """The tables `tracker schema` declares, on DynamoDB Local, under the names the functions get."""
    ddb = boto3.client("dynamodb", endpoint_url=ENV["DDB_HOST_URL"], region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    schema = json.loads(subprocess.run([ENV["TRACKER"], "schema"], check=True, capture_output=True, text=True).stdout)
    for table in schema:
        keys = [table["partition"]] + ([table["sort"]] if table["sort"] else [])
        indexes = table["indexes"]
        attrs = {k["name"]: k["kind"] for k in keys}
        for index in indexes:
            for key in [index["partition"]] + ([index["sort"]] if index["sort"] else []):
                attrs[key["name"]] = key["kind"]
        schema_of = lambda p, s: [{"AttributeName": p["name"], "KeyType": "HASH"}] + (
            [{"AttributeName": s["name"], "KeyType": "RANGE"}] if s else [])
        args = dict(TableName=TABLES[table["env_var"]], BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": n, "AttributeType": k} for n, k in attrs.items()],
                    KeySchema=schema_of(table["partition"], table["sort"]))
        if indexes:
            args["GlobalSecondaryIndexes"] = [{"IndexName": i["name"], "KeySchema": schema_of(i["partition"], i["sort"]),
                                               "Projection": {"ProjectionType": "ALL"}} for i in indexes]
        ddb.create_table(**args)
    boto3.client("s3", endpoint_url=ENV["S3_BRIDGE_URL"], region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=BUCKET)


def local_template():
    """sam build's template with the local endpoints declared on every function: `--env-vars`
    only overrides variables a function declares, and the deployed template declares none."""
    template = yaml.safe_load((BUILD / "template.yaml").read_text())
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    variables["AWS_ENDPOINT_URL_DYNAMODB"] = ""
    variables["AWS_ENDPOINT_URL_S3"] = ""
    variables["FEEDS_ALLOW_PRIVATE"] = ""
    path = BUILD / "template.local.yaml"
    path.write_text(yaml.safe_dump(template))
    return path


def env_vars_file():
    feeds = [{"name": n, "url": f"{ENV['FEEDS_BRIDGE_URL']}/{n}.xml"} for n in ("espn-nba", "realgm-wiretap")]
    variables = {**TABLES, "ARCHIVE_BUCKET": BUCKET, "FEEDS_JSON": json.dumps(feeds),
                 "AWS_ENDPOINT_URL_DYNAMODB": ENV["DDB_BRIDGE_URL"], "AWS_ENDPOINT_URL_S3": ENV["S3_BRIDGE_URL"],
                 # The feeds are served on the Docker bridge, a private address the fetcher refuses by default.
                 "FEEDS_ALLOW_PRIVATE": urllib.parse.urlsplit(ENV["FEEDS_BRIDGE_URL"]).hostname}
    path = BUILD / "env.local.json"
    path.write_text(json.dumps({"Parameters": variables}))
    return path


def sam_env():
    # The SAM CLI asks STS who the caller is before each invoke; offline that waits on the network.
    return {**ENV, **CREDENTIALS, "AWS_ENDPOINT_URL_STS": ENV["STS_URL"], "SAM_CLI_TELEMETRY": "0"}


def invoke(template, env_file, function, event):
    started = time.monotonic()
    done = subprocess.run([ENV["SAM"], "local", "invoke", function, "-t", str(template), "-e", f"events/{event}",
                           "--skip-pull-image", "--env-vars", str(env_file)],
                          cwd=ROOT, env=sam_env(), capture_output=True, text=True, timeout=180)
    seconds = time.monotonic() - started
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        sys.exit(f"sam local invoke {function} -e events/{event}: no JSON answer\n{done.stdout}\n{done.stderr}")
    print(f"sam local invoke {function} -e events/{event}: {seconds:.1f} s")
    return answer, done.stderr


def api(answer):
    return answer["statusCode"], (json.loads(answer["body"]) if answer.get("body") else None)


def check(condition, what, detail):
    if not condition:
        sys.exit(f"FAILED: {what}\n{detail}")


def invokes(template, env_file):
    answer, log = invoke(template, env_file, "IngestFunction", "ingest-schedule.json")
    check((answer.get("items_new"), answer.get("feeds_ok")) == (28, 2), "ingest stores the 28 sample items", f"{answer}\n{log}")
    for function, event, status in [
        ("NewsApiFunction", "health.json", 200),
        ("NewsApiFunction", "news-list.json", 200),
        ("NewsApiFunction", "news-stats.json", 200),
        ("UsersApiFunction", "users-create.json", 201),
        ("UsersApiFunction", "users-me-get.json", 200),
        ("UsersApiFunction", "denied-users-list-not-admin.json", 403),
        ("MetricsApiFunction", "metrics-put-batch.json", 201),
        ("MetricsApiFunction", "metrics-list.json", 200),
        ("MetricsApiFunction", "denied-metrics-put-other-device.json", 403),
    ]:
        answer, log = invoke(template, env_file, function, event)
        got, body = api(answer)
        check(got == status, f"{function} {event}: {status}", f"{answer}\n{log}")
        if event == "news-stats.json":
            check(body["total"] == 28, "news-stats counts the ingested items", body)
    # A stream batch with no subscription stored: nothing sent, nothing to retry.
    answer, log = invoke(template, env_file, "NotifyFunction", "notify-stream.json")
    check(answer == {"batchItemFailures": []}, "notify reads the subscriptions and reports no failure", f"{answer}\n{log}")
    answer, log = invoke(template, env_file, "MaintenanceFunction", "maintenance-schedule.json")
    check("export_key" in answer, "maintenance writes its export", f"{answer}\n{log}")


def start_api(template, env_file):
    port = free_port()
    server = subprocess.Popen([ENV["SAM"], "local", "start-api", "-t", str(template), "-p", str(port),
                               "--skip-pull-image", "--env-vars", str(env_file)],
                              cwd=ROOT, env=sam_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        check(wait_listening(port, tries=120, pause=0.5), "sam local start-api listens", "")
        # sam local does not run the JWT authorizer: a protected route sees no claims, so the
        # function itself answers 401, as it would to any request the gateway let through unsigned.
        for path, status in [("/health", 200), ("/news?limit=2", 200), ("/news/stats", 200), ("/users/me", 401)]:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as response:
                    got, body = response.status, response.read()
            except urllib.error.HTTPError as err:
                got, body = err.code, err.read()
            check(got == status, f"sam local start-api GET {path}: {status}", f"{got} {body[:300]!r}")
            print(f"sam local start-api GET {path}: {got}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def main():
    create_tables()
    template, env_file = local_template(), env_vars_file()
    invokes(template, env_file)
    start_api(template, env_file)
    print("sam local: every function answered as expected")


if __name__ == "__main__":
    main()

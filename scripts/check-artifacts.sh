#!/usr/bin/env bash
# Proves on the artifacts of `sam build` that each function carries only the code its IAM policy
# lets it use, although the Makefile compiles the four packages together (one feature set for
# `shared`): no S3 SDK, feed parsing or SQLite in the API functions, and no HTTP client or SNS SDK
# in news-api and metrics-api (only users-api and notify send alerts); no HTTP fetching or SQLite
# in maintenance; no SQLite in ingest. A crate's code leaves its source paths in the binary (panic
# locations survive stripping), so a crate whose path is absent has no code there; the positive
# controls (the DynamoDB SDK everywhere, reqwest and the SNS SDK in users-api and notify, the S3
# SDK and reqwest in ingest) prove the probe sees what is present.
# Usage: scripts/check-artifacts.sh BUILD_DIR (sam build's output folder)
set -euo pipefail
BUILD_DIR=${1:?usage: scripts/check-artifacts.sh BUILD_DIR}

failed=0
# has FUNCTION CRATE: does the function's bootstrap hold source paths of CRATE?
has() { grep -aqE "/$2-[0-9]+\.[0-9]+\.[0-9]+[^/]*/src/" "$BUILD_DIR/$1/bootstrap"; }
expect() { # expect FUNCTION yes|no CRATE...
  local function=$1 want=$2; shift 2
  for crate in "$@"; do
    if has "$function" "$crate"; then got=yes; else got=no; fi
    if [ "$got" = "$want" ]; then
      echo "$function: $crate $([ "$want" = yes ] && echo present || echo absent)"
    else
      echo "FAILED: $function: $crate should be $([ "$want" = yes ] && echo present || echo absent)" >&2
      failed=1
    fi
  done
}
for api in NewsApiFunction MetricsApiFunction; do
  expect "$api" yes aws-sdk-dynamodb
  expect "$api" no aws-sdk-s3 aws-sdk-sns reqwest rusqlite quick-xml
done
expect UsersApiFunction yes aws-sdk-dynamodb aws-sdk-sns reqwest
expect UsersApiFunction no aws-sdk-s3 rusqlite quick-xml
expect IngestFunction yes aws-sdk-dynamodb aws-sdk-s3 reqwest quick-xml
expect IngestFunction no rusqlite
expect MaintenanceFunction yes aws-sdk-dynamodb aws-sdk-s3
expect MaintenanceFunction no reqwest rusqlite quick-xml
expect NotifyFunction yes aws-sdk-dynamodb aws-sdk-sns reqwest
expect NotifyFunction no aws-sdk-s3 rusqlite quick-xml
exit $failed

#!/usr/bin/env python3
"""Publishes the news page (web/) of a deployed SAM stack: syncs the files to the stack's private
page bucket (content types, a 5-minute cache, stale files removed) and invalidates the
CloudFront distribution, then prints the site URL. Run after `sam deploy` (the CDK app publishes
the page itself). Needs boto3 (it comes with the SAM CLI) and the same credentials as the deploy.

Usage: python3 scripts/publish_page.py --stack nba-tracker-dev [--region us-east-1]
"""
import argparse
import mimetypes
import sys
import time
from pathlib import Path

import boto3

WEB = Path(__file__).resolve().parents[1] / "web"
CACHE_CONTROL = "max-age=300"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def stack_outputs(cloudformation, stack):
    """The stack's outputs by key."""
    (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def publish(s3, cloudfront, bucket, distribution_id, web=WEB):
    """Uploads every file of `web`, deletes the bucket's other objects, and invalidates the
    distribution; returns the uploaded keys."""
    keys = []
    for path in sorted(p for p in web.rglob("*") if p.is_file()):
        key = path.relative_to(web).as_posix()
        content_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type,
                      CacheControl=CACHE_CONTROL)
        keys.append(key)
    stale = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
             for o in page.get("Contents", []) if o["Key"] not in keys]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[start:start + 1000]]})
    cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"publish-page-{time.time_ns()}"})
    return keys


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the deployed stack's name (samconfig.toml: stack_name)")
    parser.add_argument("--region", help="the stack's region (default: your AWS configuration's)")
    args = parser.parse_args()
    session = boto3.session.Session(region_name=args.region)
    outputs = stack_outputs(session.client("cloudformation"), args.stack)
    missing = {"PageBucketName", "DistributionId", "SiteUrl"} - set(outputs)
    if missing:
        sys.exit(f"publish_page: stack {args.stack} has no output {', '.join(sorted(missing))}: deploy template.yaml first")
    keys = publish(session.client("s3"), session.client("cloudfront"), outputs["PageBucketName"], outputs["DistributionId"])
    print(f"published {len(keys)} files to s3://{outputs['PageBucketName']}/; invalidated {outputs['DistributionId']}")
    print(outputs["SiteUrl"])


if __name__ == "__main__":
    main()

"""The SAM stack and the CDK app deployed on moto, then every function run under AWS's real Lambda
emulator with the configuration the stack gave it, against the stack's own tables and bucket.

moto stands in for CloudFormation, IAM, Lambda, SSM, DynamoDB and S3. It does not implement the SAM
transform (a `sam deploy` to it "succeeds" and creates no function), so the transform runs offline
with aws-sam-translator and the result is created as a plain stack; the CDK app's synthesized
template is created the way `cdk deploy` would after `cdk bootstrap` (its asset bucket and version
parameter). Every resource must be created, except those of the types in MOTO_UNIMPLEMENTED. moto stores function code without running it here:
the test reads each deployed function's configuration and runs the host build of its binary under
aws-lambda-rie with exactly that environment, pointed at moto.

Needs what scripts/test.sh provides: a moto server (TRACKER_TEST_S3_URL, from
scripts/test-servers.sh), the emulator (TRACKER_TEST_RIE), and the debug binaries `cargo test`
builds. A missing one fails the test.
"""
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import boto3
import pytest
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import publish_page  # noqa: E402
from rie import Emulator  # noqa: E402

# Resource types moto's CloudFormation does not implement: it reports them CREATE_COMPLETE with no
# type and creates nothing. Any other resource missing from the stack fails the test, and a type
# listed here that moto starts implementing fails it too, so the list stays true.
MOTO_UNIMPLEMENTED = {
    "AWS::ApiGatewayV2::Api",  # the HTTP API ...
    "AWS::ApiGatewayV2::Authorizer",  # ... with CDK's explicit authorizer, integrations and routes
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Stage",
    "AWS::CloudFront::CachePolicy",  # the page at the edge: distribution, OAC, cache and headers policies
    "AWS::CloudFront::Distribution",
    "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::ResponseHeadersPolicy",
    "AWS::CloudWatch::Alarm",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolDomain",
    "AWS::Cognito::UserPoolGroup",
    "AWS::Cognito::UserPoolResourceServer",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
}
# moto runs a custom resource's Lambda in Docker and waits for its answer; CDK's bucket deployment
# (publishing web/ to the page bucket) is left out of what moto receives. Its function, layer and
# role are still created; what it does is what scripts/publish-page.sh does, tested on moto.
MOTO_NOT_RUN = {"Custom::CDKBucketDeployment"}
REGION = "us-east-1"
BUCKET = "deploy-artifacts"
# The SAM stack as dev and the CDK app as staging, so their named resources do not collide.
SAM_PARAMETERS = {"Stage": "dev", "AlarmEmail": "ops@example.com"}
ACCOUNT = "123456789012"  # moto's default account
FUNCTIONS = {"ingest", "maintenance", "news-api", "users-api", "metrics-api", "notify"}
EVENTS = ROOT / "events"


def required_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests through scripts/test.sh (it starts the servers)")
    return value


@pytest.fixture(scope="module")
def moto_url():
    return required_env("TRACKER_TEST_S3_URL")


@pytest.fixture(scope="module")
def aws(moto_url):
    def client(service):
        return boto3.client(service, endpoint_url=moto_url, region_name=REGION,
                            aws_access_key_id="test", aws_secret_access_key="test")
    return client


def placeholder_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n# moto stores this; the test runs the real binary itself\n")
    return buf.getvalue()


def getatt_targets(node):
    """The resources every Fn::GetAtt within `node` reads, and every `${Resource.Attribute}` of
    an Fn::Sub."""
    if isinstance(node, dict):
        own = [node["Fn::GetAtt"][0]] if "Fn::GetAtt" in node else []
        sub = node.get("Fn::Sub")
        if sub is not None:
            own += re.findall(r"\$\{([A-Za-z0-9]+)\.[A-Za-z.]+\}", sub if isinstance(sub, str) else sub[0])
        return own + [t for value in node.values() for t in getatt_targets(value)]
    if isinstance(node, list):
        return [t for value in node for t in getatt_targets(value)]
    return []


def create(aws, moto_url, name, template, parameters=()):
    """Creates `template` as stack `name` from the artifacts bucket; returns its resources by id."""
    s3, cfn = aws("s3"), aws("cloudformation")
    s3.put_object(Bucket=BUCKET, Key=f"{name}.json", Body=json.dumps(template))
    port = moto_url.rsplit(":", 1)[1]
    # moto finds the bucket of a template URL by the host name localhost, not 127.0.0.1.
    cfn.create_stack(StackName=name, TemplateURL=f"http://localhost:{port}/{BUCKET}/{name}.json",
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters],
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
    for _ in range(300):
        status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            break
        time.sleep(0.5)
    assert status == "CREATE_COMPLETE", status
    pages = cfn.get_paginator("list_stack_resources").paginate(StackName=name)
    return {r["LogicalResourceId"]: r for page in pages for r in page["StackResourceSummaries"]}


def without_unreadable_outputs(template):
    """moto rejects a whole stack whose Outputs read an attribute (Fn::GetAtt) of a type it does
    not implement; only those outputs are left out of what moto receives."""
    return dict(template, Outputs={
        name: output for name, output in template.get("Outputs", {}).items()
        if not any(template["Resources"][target]["Type"] in MOTO_UNIMPLEMENTED
                   for target in getatt_targets(output["Value"]))
    })


def deploy_sam(aws, moto_url):
    """`sam package` + the SAM transform + create-stack, as `sam deploy` would."""
    template = yaml_parse((ROOT / "template.yaml").read_text())
    for logical, res in template["Resources"].items():
        if res["Type"] == "AWS::Serverless::Function":
            aws("s3").put_object(Bucket=BUCKET, Key=f"{logical}.zip", Body=placeholder_zip())
            res["Properties"]["CodeUri"] = f"s3://{BUCKET}/{logical}.zip"
    transformed = transform(template, SAM_PARAMETERS, ManagedPolicyLoader(aws("iam")))
    return transformed, create(aws, moto_url, "nba-tracker-dev", without_unreadable_outputs(transformed),
                               SAM_PARAMETERS.items())


def deploy_cdk(aws, moto_url, synth_cdk):
    """The synthesized app after `cdk bootstrap`: its assets in the bootstrap bucket, the bootstrap
    version in SSM, then create-stack, as `cdk deploy` would."""
    template = synth_cdk()
    assets = f"cdk-hnb659fds-assets-{ACCOUNT}-{REGION}"
    aws("s3").create_bucket(Bucket=assets)
    template = dict(template, Resources={logical: res for logical, res in template["Resources"].items()
                                         if res["Type"] not in MOTO_NOT_RUN})
    for res in template["Resources"].values():
        if res["Type"] == "AWS::KMS::Key":
            # moto 5.2.5 reads a key's CloudFormation tags as TagKey/TagValue and fails on Key/Value.
            res["Properties"].pop("Tags", None)
        if res["Type"] == "AWS::Lambda::Function":
            aws("s3").put_object(Bucket=assets, Key=res["Properties"]["Code"]["S3Key"], Body=placeholder_zip())
        if res["Type"] == "AWS::Lambda::LayerVersion":
            aws("s3").put_object(Bucket=assets, Key=res["Properties"]["Content"]["S3Key"], Body=placeholder_zip())
    aws("ssm").put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
    return template, create(aws, moto_url, "nba-tracker-staging", without_unreadable_outputs(template))


@pytest.fixture(scope="module", params=["sam", "cdk"])
def stack(request, aws, moto_url, monkeypatch_module, synth_cdk):
    """(template as deployed, resources by logical id) of the SAM stack, then of the CDK app."""
    monkeypatch_module.setenv("AWS_DEFAULT_REGION", REGION)
    if request.param == "sam":
        return deploy_sam(aws, moto_url)
    return deploy_cdk(aws, moto_url, synth_cdk)


@pytest.fixture(scope="module", autouse=True)
def artifacts_bucket(aws):
    aws("s3").create_bucket(Bucket=BUCKET)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_every_resource_is_created_but_the_types_moto_lacks(stack):
    template, resources = stack
    missing = []
    for logical, res in template["Resources"].items():
        created = resources.get(logical, {}).get("ResourceType") == res["Type"]
        if res["Type"] in MOTO_UNIMPLEMENTED:
            assert not created, f"moto now implements {res['Type']}: remove it from MOTO_UNIMPLEMENTED"
        elif not created:
            missing.append((logical, res["Type"]))
    assert not missing, f"declared but not created: {missing}"
    created = sum(1 for r in template["Resources"].values() if r["Type"] not in MOTO_UNIMPLEMENTED)
    assert created >= 40, created


def functions(aws, resources):
    """Function (nba-tracker-<stage>-<function>) -> (its logical id, its deployed configuration)."""
    lam = aws("lambda")
    out = {}
    for logical, r in resources.items():
        if r.get("ResourceType") == "AWS::Lambda::Function":
            config = lam.get_function_configuration(FunctionName=r["PhysicalResourceId"])
            if config["Runtime"] == "provided.al2023":  # not CDK's bucket deployment helper
                out[config["FunctionName"].split("-", 3)[3]] = (logical, config)
    return out


def physical(resources, kind):
    return {r["PhysicalResourceId"] for r in resources.values() if r.get("ResourceType") == kind}


def test_functions_are_configured_as_the_template_says(aws, stack):
    template, resources = stack
    configs = functions(aws, resources)
    assert set(configs) == FUNCTIONS
    tables, buckets = physical(resources, "AWS::DynamoDB::Table"), physical(resources, "AWS::S3::Bucket")
    for function, (logical, config) in configs.items():
        assert (config["Runtime"], config["Handler"]) == ("provided.al2023", "bootstrap"), function
        # moto records the architecture wrongly; the template is what Lambda receives.
        assert template["Resources"][logical]["Properties"]["Architectures"] == ["arm64"], function
        env = config["Environment"]["Variables"]
        named = {env["NEWS_TABLE"], env["USERS_TABLE"], env["METRICS_TABLE"], env["ALERTS_TABLE"]}
        assert named == tables and len(named) == 4, (function, env)
        assert env["ARCHIVE_BUCKET"] in buckets, (function, env)


class Function(Emulator):
    """A host-built function binary under aws-lambda-rie, answering events of events/."""

    def __init__(self, binary, env):
        if not binary.is_file():
            pytest.fail(f"{binary} is missing: cargo test builds it (run scripts/test.sh)")
        super().__init__(required_env("TRACKER_TEST_RIE"), binary, env)

    def api(self, event_file):
        """(status, JSON body or None) of an API Gateway event from events/."""
        answer = self.invoke((EVENTS / event_file).read_bytes())
        assert "statusCode" in answer, f"{event_file}: {answer}\n{self.logs()}"
        body = json.loads(answer["body"]) if answer.get("body") else None
        assert answer["statusCode"] < 500, f"{event_file}: {answer}\n{self.logs()}"
        return answer["statusCode"], body


def run(aws, moto_url, resources, function, binary, **overrides):
    """`function` as deployed: its binary with its deployed environment, on moto."""
    _, config = functions(aws, resources)[function]
    env = {
        # moto hands back numeric values as numbers; Lambda's variables are strings.
        **{name: str(value) for name, value in config["Environment"]["Variables"].items()},
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_url, "AWS_LAMBDA_FUNCTION_NAME": config["FunctionName"],
        "AWS_LAMBDA_LOG_FORMAT": "JSON", **overrides,
    }
    return Function(ROOT / "target" / "debug" / binary, env)


def test_the_deployed_functions_work_on_the_stacks_tables_and_bucket(aws, moto_url, stack):
    _, resources = stack
    feeds = json.dumps([{"name": n, "url": str(ROOT / "samples" / "feeds" / f"{n}.xml")}
                        for n in ("espn-nba", "realgm-wiretap")])
    # The deployed FEEDS_JSON names the public feeds; this run reads the bundled copies instead.
    with run(aws, moto_url, resources, "ingest", "ingest", FEEDS_JSON=feeds) as ingest:
        summary = ingest.invoke((EVENTS / "ingest-schedule.json").read_bytes())
        assert (summary.get("items_new"), summary.get("feeds_ok")) == (28, 2), f"{summary}\n{ingest.logs()}"
    bucket = functions(aws, resources)["ingest"][1]["Environment"]["Variables"]["ARCHIVE_BUCKET"]
    raw = aws("s3").list_objects_v2(Bucket=bucket, Prefix="raw/").get("Contents", [])
    assert len(raw) == 2, raw

    with run(aws, moto_url, resources, "news-api", "api") as news:
        status, body = news.api("news-list.json")
        assert (status, len(body["items"])) == (200, 5), body
        status, body = news.api("news-stats.json")
        assert (status, body["total"]) == (200, 28), body

    with run(aws, moto_url, resources, "users-api", "users-api") as users:
        assert users.api("users-create.json")[0] == 201
        status, body = users.api("users-me-get.json")
        assert (status, body["email"]) == (200, "fan@example.com"), body
        status, body = users.api("subscriptions-list.json")
        assert status == 200, body
        assert users.api("users-me-delete.json")[0] == 204
        assert users.api("users-me-get.json")[0] == 404

    with run(aws, moto_url, resources, "metrics-api", "api") as metrics:
        assert metrics.api("metrics-put-batch.json")[0] == 201
        status, body = metrics.api("metrics-list.json")
        assert (status, len(body["items"])) == (200, 5), body

    # A stream batch with no subscription stored: every subscription read (by_kind), nothing sent,
    # nothing to retry.
    with run(aws, moto_url, resources, "notify", "notify") as notify:
        answer = notify.invoke((EVENTS / "notify-stream.json").read_bytes())
        assert answer == {"batchItemFailures": []}, f"{answer}\n{notify.logs()}"

    with run(aws, moto_url, resources, "maintenance", "maintenance", FEEDS_JSON=feeds) as maintenance:
        report = maintenance.invoke((EVENTS / "maintenance-schedule.json").read_bytes())
        assert "export_key" in report, f"{report}\n{maintenance.logs()}"
    aws("s3").head_object(Bucket=bucket, Key=report["export_key"])


def test_publish_page_fills_the_stacks_page_bucket_and_invalidates(aws, stack):
    """scripts/publish_page.py against the deployed stack's outputs. moto creates no distribution
    from a template (MOTO_UNIMPLEMENTED), so the invalidation goes to one made through its API."""
    _, resources = stack
    name = "nba-tracker-dev" if "PageBucket" in resources else "nba-tracker-staging"
    outputs = publish_page.stack_outputs(aws("cloudformation"), name)
    bucket = outputs["PageBucketName"]
    assert bucket in physical(resources, "AWS::S3::Bucket")
    s3, cloudfront = aws("s3"), aws("cloudfront")
    s3.put_object(Bucket=bucket, Key="old-page.js", Body=b"stale")
    distribution = cloudfront.create_distribution(DistributionConfig={
        "CallerReference": name, "Comment": "stand-in", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "page", "DomainName": f"{bucket}.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "page", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    })["Distribution"]["Id"]

    keys = publish_page.publish(s3, cloudfront, bucket, distribution)

    assert keys == ["app.js", "index.html", "style.css"]
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert stored == set(keys), "the stale file is gone"
    index = s3.get_object(Bucket=bucket, Key="index.html")
    assert (index["ContentType"], index["CacheControl"]) == ("text/html; charset=utf-8", "max-age=300")
    assert index["Body"].read() == (ROOT / "web" / "index.html").read_bytes()
    invalidations = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    assert invalidations["Quantity"] == 1

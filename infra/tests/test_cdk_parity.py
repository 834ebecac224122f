"""The CDK app and template.yaml describe the same stack."""
import re
import subprocess

import pytest

from conftest import ROOT, logical_base, translate_sam
from model import (alarms, allow_statements, cdk_functions, dashboards, event_source_mappings, http_api, identity,
                   lifecycle_rules, outputs, sam_functions, tables, topic_keys)

# X-Ray actions have no resource-level permissions; CDK grants them on "*" for active tracing
# (SAM attaches the managed AWSXrayWriteOnlyAccess policy instead).
XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# CDK's bucket deployment invalidates the distribution after publishing web/, and grants that on "*".
INVALIDATION = {"cloudfront:GetInvalidation", "cloudfront:CreateInvalidation"}


def test_same_tables(sam, cdk):
    assert tables(cdk) == tables(sam)


def test_same_functions_routes_schedules_environment_and_permissions(sam, cdk):
    s, c = sam_functions(sam), cdk_functions(cdk)
    assert set(c) == set(s)
    for binary in s:
        for aspect in ("env", "routes", "schedules", "statements", "reserved"):
            assert c[binary][aspect] == s[binary][aspect], (binary, aspect)


def test_cdk_has_no_wildcard_action_or_resource(cdk):
    for where, statement in allow_statements(cdk):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        # CDK's own bucket deployment (publishing web/) grants itself action groups such as
        # s3:GetObject* and s3:List* on the asset and page buckets; its resources are still named.
        if "CustomCDKBucketDeployment" not in where:
            assert all("*" not in a for a in actions), (where, actions)
        if set(actions) <= XRAY or ("CustomCDKBucketDeployment" in where and set(actions) <= INVALIDATION):
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in resources, (where, statement)


def test_same_resource_kinds(sam, cdk):
    kinds = lambda t: {r["Type"] for r in t["Resources"].values()}
    for kind in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::SQS::Queue", "AWS::SNS::Topic",
                 "AWS::KMS::Key", "AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::Logs::LogGroup", "AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient",
                 "AWS::Cognito::UserPoolDomain", "AWS::Cognito::UserPoolResourceServer", "AWS::Cognito::UserPoolGroup"):
        assert kind in kinds(sam) and kind in kinds(cdk), kind
    alarms = lambda t: sorted(k.rstrip("0123456789ABCDEF") for k, r in t["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm")
    assert alarms(cdk) == alarms(sam)


# The SAM side resolved for the stage the CDK app is synthesized for.
STAGING = {"Stage": "staging"}


def test_same_http_api_authorizer_routes_cors_throttling_and_access_logs(sam_cfn, cdk):
    assert http_api(cdk) == http_api(sam_cfn, **STAGING)


def test_same_identity_resources(sam_cfn, cdk):
    assert identity(cdk) == identity(sam_cfn, **STAGING)


def test_same_outputs(sam_cfn, cdk):
    s, c = outputs(sam_cfn, **STAGING), outputs(cdk)
    assert set(c) == set(s)
    for name in set(s) - {"ApiUrl"}:  # the API's URL is spelled differently (ApiEndpoint vs execute-api host)
        assert c[name] == s[name], name


def test_same_news_stream_trigger(sam_cfn, cdk):
    """The notify function reads the news table's stream with the same batching, retries, failure
    destination and filter (inserted news items only) in both stacks."""
    s = event_source_mappings(sam_cfn, **STAGING)
    assert event_source_mappings(cdk) == s
    assert set(s) == {"NotifyNewsStream"}
    trigger = s["NotifyNewsStream"]
    assert (trigger["FunctionName"], trigger["EventSourceArn"]) == ("${NotifyFunction}", "${NewsTable.StreamArn}")
    assert trigger["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert trigger["DestinationConfig"] == {"OnFailure": {"Destination": "${FailedInvocationsQueue.Arn}"}}
    # The kind of a news item (not of its team links, feed states or counters), as the code stores it.
    news = re.search(r'pub const NEWS_KIND: &str = "([^"]+)";', (ROOT / "shared/src/store/schema.rs").read_text()).group(1)
    assert trigger["FilterCriteria"] == {"Filters": [{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": [news]}}}}]}
    assert tables(cdk)["NewsTable"]["stream"] == "NEW_IMAGE"  # the function reads the new image


def test_same_behaviour_for_other_parameter_values(sam, synth_cdk):
    """Device clients, several origins, other URLs and domain prefix, no reserved concurrency:
    template parameters and CDK context values of the same names give the same stack."""
    params = {"DeviceClientIds": "device-client-a,device-client-b", "AllowedOrigins": "https://a.example,https://b.example",
              "CallbackUrls": "https://a.example/signed-in", "LogoutUrls": "https://a.example/", "AuthDomainPrefix": "tracker-auth-test",
              "ApiReservedConcurrency": "0"}
    sam_cfn = translate_sam(sam, **params)
    cdk = synth_cdk(**{name[0].lower() + name[1:]: value for name, value in params.items()})
    api = http_api(sam_cfn, **STAGING, **params)
    assert api["authorizers"]["CognitoJwt"]["audience"] == ["${WebClient}", "device-client-a", "device-client-b"]
    assert api["cors"]["origins"] == ["https://a.example", "https://b.example"]
    assert http_api(cdk) == api
    found = identity(sam_cfn, **STAGING, **params)
    assert found["domains"]["AuthDomain"]["domain"] == "tracker-auth-test"
    assert found["clients"]["WebClient"]["callback_urls"] == ["https://a.example/signed-in"]
    assert identity(cdk) == found
    s, c = sam_functions(sam, **params), cdk_functions(cdk)
    assert {name: fn["reserved"] for name, fn in c.items()} == {name: fn["reserved"] for name, fn in s.items()}
    assert [name for name, fn in s.items() if fn["reserved"] is not None] == ["ingest"]


def test_same_alarms_topic_key_and_dashboard(sam_cfn, cdk):
    """Each alarm watches the same metrics with the same statistic, period and threshold; the topic
    is encrypted with the same key policy; the dashboard draws the same metrics under the same titles."""
    assert alarms(cdk) == alarms(sam_cfn, **STAGING)
    assert topic_keys(cdk) == topic_keys(sam_cfn, **STAGING)
    s, c = dashboards(sam_cfn, **STAGING), dashboards(cdk)
    assert {k: (d["name"], d["widgets"]) for k, d in c.items()} == {k: (d["name"], d["widgets"]) for k, d in s.items()}


@pytest.mark.parametrize("params", [{}, {"RetentionDays": "0", "MetricsRetentionDays": "0", "FreshnessAlarmHours": "3"}])
def test_same_lifecycle_rules_and_alarms_for_retention_and_freshness_parameters(sam, synth_cdk, params):
    sam_cfn = translate_sam(sam, **params)
    cdk = synth_cdk(**{name[0].lower() + name[1:]: value for name, value in params.items()})
    assert lifecycle_rules(cdk) == lifecycle_rules(sam_cfn, **STAGING, **params)
    assert alarms(cdk) == alarms(sam_cfn, **STAGING, **params)
    s, c = sam_functions(sam, **params), cdk_functions(cdk)
    assert {name: fn["env"] for name, fn in c.items()} == {name: fn["env"] for name, fn in s.items()}


def test_cdk_refuses_a_wildcard_origin(synth_cdk):
    with pytest.raises(subprocess.CalledProcessError) as failure:
        synth_cdk(allowedOrigins="*")
    assert "allowedOrigins" in failure.value.stderr


def _project_tags(resource):
    props = resource.get("Properties", {})
    raw = props.get("Tags", props.get("UserPoolTags", {}))
    pairs = raw.items() if isinstance(raw, dict) else ((t["Key"], t["Value"]) for t in raw)
    return {k: v for k, v in pairs if k in ("project", "stage")}


def test_same_project_and_stage_tags(sam_cfn, cdk):
    """Every resource the template tags with its project and stage carries them in the CDK stack."""
    tagged = {(logical_base(k), r["Type"]) for k, r in sam_cfn["Resources"].items() if _project_tags(r)}
    cdk_tags = {(logical_base(k), r["Type"]): _project_tags(r) for k, r in cdk["Resources"].items()}
    assert len(tagged) >= 8, tagged
    missing = sorted(key for key in tagged if key in cdk_tags and cdk_tags[key] != {"project": "nba-trade-tracker", "stage": "staging"})
    assert not missing, missing
    assert {k for k, _ in tagged} & {k for k, _ in cdk_tags}, "the stacks share logical names"


def test_same_retention_of_data_and_page(sam, cdk):
    """Tables and buckets outlive the stack in both (DeletionPolicy Retain)."""
    kept = lambda t, kind: sorted(logical_base(k) for k, r in t["Resources"].items()
                                  if r["Type"] == kind and r.get("DeletionPolicy") == "Retain")
    for kind in ("AWS::DynamoDB::Table", "AWS::S3::Bucket"):
        assert kept(cdk, kind) == kept(sam, kind), kind


def test_queues_are_only_sent_to(sam_cfn, cdk):
    """The failure queue is written with SendMessage alone in both stacks (CDK's SqsDestination
    would add GetQueueAttributes and GetQueueUrl)."""
    for template in (sam_cfn, cdk):
        for where, statement in allow_statements(template):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            sqs = {a for a in actions if a.startswith("sqs:")}
            assert sqs <= {"sqs:SendMessage"}, (where, actions)

"""The CDK app and template.yaml describe the same stack."""
from model import allow_statements, cdk_functions, sam_functions, tables

# X-Ray actions have no resource-level permissions; CDK grants them on "*" for active tracing
# (SAM attaches the managed AWSXrayWriteOnlyAccess policy instead).
XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_same_tables(sam, cdk):
    assert tables(cdk) == tables(sam)


def test_same_functions_routes_schedules_environment_and_permissions(sam, cdk):
    s, c = sam_functions(sam), cdk_functions(cdk)
    assert set(c) == set(s)
    for binary in s:
        for aspect in ("env", "routes", "schedules", "statements"):
            assert c[binary][aspect] == s[binary][aspect], (binary, aspect)


def test_cdk_has_no_wildcard_action_or_resource(cdk):
    for where, statement in allow_statements(cdk):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in a for a in actions), (where, actions)
        if set(actions) <= XRAY:
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert "*" not in resources, (where, statement)


def test_same_resource_kinds(sam, cdk):
    kinds = lambda t: {r["Type"] for r in t["Resources"].values()}
    for kind in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::SQS::Queue", "AWS::SNS::Topic",
                 "AWS::CloudWatch::Alarm", "AWS::Logs::LogGroup"):
        assert kind in kinds(sam) and kind in kinds(cdk), kind
    alarms = lambda t: sorted(k.rstrip("0123456789ABCDEF") for k, r in t["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm")
    assert alarms(cdk) == alarms(sam)

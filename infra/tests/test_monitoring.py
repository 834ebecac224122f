"""Alarms, their topic's encryption, the dashboard and retention, asserted on both stacks
(template.yaml after the SAM transform and the synthesized CDK app) against the metrics the code emits."""
import re
import subprocess

import pytest

from conftest import ROOT, logical_base, translate_sam
from model import Resolver, alarms, dashboards, is_product_function, lifecycle_rules, topic_keys

STAGING = {"Stage": "staging"}


def _source(path):
    return (ROOT / path).read_text()


def namespace():
    """The namespace of every EMF metric (shared/src/emf.rs)."""
    return re.search(r'pub const NAMESPACE: &str = "([^"]+)";', _source("shared/src/emf.rs")).group(1)


def _function(path, name):
    """The text of a Rust method (up to its closing brace at method indentation)."""
    source = _source(path)
    assert f"pub fn {name}(" in source, f"{path} has no fn {name}"
    return source.split(f"pub fn {name}(", 1)[1].split("\n    }\n", 1)[0]


def run_metric(field):
    """The name RunSummary::emf_line gives one of the run's counts (shared/src/ingest.rs)."""
    found = re.search(rf'\("(\w+)", self\.{field}\)', _function("shared/src/ingest.rs", "emf_line"))
    assert found, f"emf_line emits no metric of self.{field}"
    return found.group(1)


def feed_metric():
    """(metric, dimension) of RunSummary::emf_lines' per-feed lines: FeedFailed under Feed."""
    emf_lines = _function("shared/src/ingest.rs", "emf_lines")
    dimension = re.search(r'\("(\w+)", &feed\.feed\)', emf_lines)
    name = re.search(r'\("(\w+)", failed\)', emf_lines)
    assert dimension and name, "emf_lines emits no per-feed failure metric"
    return name.group(1), dimension.group(1)


def category_metrics():
    """TradeNew, SigningNew, OtherNew: emf_line's per-category names, from Category::as_str."""
    suffix = re.search(r'format!\("\{c\}(\w+)"\)', _function("shared/src/ingest.rs", "emf_line")).group(1)
    names = re.findall(r'Category::\w+ => "(\w+)"', _function("shared/src/classify/mod.rs", "as_str"))
    assert names, "no category names in Category::as_str"
    return [name + suffix for name in names]


def metric(name, stat, period, dimensions=""):
    """A metric as model.alarms / model.dashboards write it."""
    return f"{namespace()}/{name}{{{dimensions}}}:{stat}@{period}"


class Stack:
    """One of the two stacks as plain CloudFormation; overrides are template parameters, which the
    CDK app takes as context values of the same name in lower camel case."""

    def __init__(self, kind, request, **overrides):
        if kind == "sam":
            sam = request.getfixturevalue("sam")
            self.template = translate_sam(sam, **overrides) if overrides else request.getfixturevalue("sam_cfn")
            self.params = {**STAGING, **overrides}
        else:
            context = {name[0].lower() + name[1:]: value for name, value in overrides.items()}
            self.template = request.getfixturevalue("synth_cdk")(**context) if overrides else request.getfixturevalue("cdk")
            self.params = {}

    def resources(self, kind):
        """(logical id without CDK's hash, resolved properties) of the resources of one type."""
        return [(logical_base(logical), p) for logical, k, p, _ in Resolver(self.template, **self.params).resources() if k == kind]

    def functions(self):
        """(logical id without CDK's hash, resolved properties) of the six product functions."""
        return [(logical_base(logical), p) for logical, _, p, res in Resolver(self.template, **self.params).resources()
                if is_product_function(res)]

    def alarms(self):
        return alarms(self.template, **self.params)

    def alarm_watching(self, metric_name):
        found = {name: a for name, a in self.alarms().items() if f"/{metric_name}{{" in a["watches"]}
        assert len(found) == 1, (metric_name, found)
        return found.popitem()


@pytest.fixture(params=["sam", "cdk"])
def stack(request):
    return Stack(request.param, request)


@pytest.fixture(params=["sam", "cdk"])
def stack_for(request):
    """A factory: the stack with some parameters overridden."""
    return lambda **overrides: Stack(request.param, request, **overrides)


# ---------------------------------------------------------------- alarm topic encryption

def test_the_alarm_topic_is_encrypted_with_its_own_key_that_cloudwatch_may_use(stack):
    """CloudWatch cannot publish to a topic under the AWS-managed alias/aws/sns key: every alarm
    notification would be dropped. The topic's key must be a customer-managed key of the stack whose
    policy lets cloudwatch.amazonaws.com decrypt and generate data keys."""
    keys = topic_keys(stack.template, **stack.params)
    assert set(keys) == {"AlarmTopic"}
    key = keys["AlarmTopic"]
    assert not str(key["key"]).startswith("alias/aws/"), key
    assert key["key"] == "AlarmTopicKey", key  # a key of this template, not an alias or another account's key
    assert key["rotation"] is True
    statements = list(key["statements"].values())
    assert all(s["effect"] == "Allow" for s in statements)
    cloudwatch = [s for s in statements if s["principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(cloudwatch) == 1, statements
    assert set(cloudwatch[0]["actions"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert cloudwatch[0]["condition"] in (None, {"StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"}})
    root = [s for s in statements if s["principal"] == {"AWS": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}]
    assert len(root) == 1 and root[0]["actions"] == ["kms:*"], statements  # the account can still manage the key
    assert len(statements) == 2, statements


def test_every_alarm_notifies_the_alarm_topic(stack):
    for name, alarm in stack.alarms().items():
        assert alarm["actions"] == ["${AlarmTopic}"], name


# ---------------------------------------------------------------- a feed that keeps failing

def test_a_feed_failing_in_every_run_for_45_minutes_alarms_on_the_metric_the_code_emits(stack):
    _, alarm = stack.alarm_watching(run_metric("feeds_failed"))
    assert alarm["watches"] == metric(run_metric("feeds_failed"), "Minimum", 900)  # Minimum >= 1: every run of the period
    assert (alarm["comparison"], alarm["threshold"]) == ("GreaterThanOrEqualToThreshold", 1.0)
    assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (3, 3)
    assert alarm["missing_data"] == "notBreaching"
    assert alarm["actions"] == ["${AlarmTopic}"]


# ---------------------------------------------------------------- alerts

def notify_metric(field):
    """The name the notify function's EMF line gives one of its report's counts (functions/notify/src/lib.rs)."""
    found = re.search(rf'\("(\w+)", report\.{field}(?:\.len\(\))?\)', _source("functions/notify/src/lib.rs"))
    assert found, f"the notify function emits no metric of report.{field}"
    return found.group(1)


def test_alert_delivery_failures_alarm_on_the_metric_the_notify_function_emits(stack):
    _, alarm = stack.alarm_watching(notify_metric("failed"))
    assert alarm["watches"] == metric(notify_metric("failed"), "Sum", 300)
    assert (alarm["comparison"], alarm["threshold"]) == ("GreaterThanOrEqualToThreshold", 10.0)
    assert (alarm["evaluation_periods"], alarm["missing_data"]) == (1, "notBreaching")


def test_the_notify_function_falling_behind_its_stream_alarms(stack):
    _, alarm = stack.alarm_watching("IteratorAge")
    assert alarm["watches"] == "AWS/Lambda/IteratorAge{FunctionName=${NotifyFunction}}:Maximum@300"
    assert (alarm["comparison"], alarm["threshold"]) == ("GreaterThanThreshold", 60000.0)
    assert (alarm["evaluation_periods"], alarm["missing_data"]) == (1, "notBreaching")


# ---------------------------------------------------------------- freshness

def _evaluate(expression, values):
    """A metric math expression of IF, AND, OR, comparisons and arithmetic, for one period's values."""
    python = re.sub(r"\bAND\b", " and ", re.sub(r"\bOR\b", " or ", expression)).replace("&&", " and ").replace("||", " or ")
    return eval(python.replace("IF(", "_if("), {"_if": lambda c, a, b: a if c else b}, dict(values))  # noqa: S307


def _freshness_metrics(stack):
    """The freshness alarm's expression and {metric id: metric name}."""
    found = [p for _, p in stack.resources("AWS::CloudWatch::Alarm")
             if any(m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == run_metric("items_new") for m in p.get("Metrics", []))]
    assert len(found) == 1, found
    metrics = found[0]["Metrics"]
    expression = [m["Expression"] for m in metrics if m.get("ReturnData", True)]
    assert len(expression) == 1
    return expression[0], {m["Id"]: m["MetricStat"]["Metric"]["MetricName"] for m in metrics if "MetricStat" in m}


def test_the_freshness_alarm_counts_hours_without_a_new_item_while_feeds_answer(stack):
    items, answered = run_metric("items_new"), run_metric("feeds_ok")
    _, alarm = stack.alarm_watching(items)
    for watched in (metric(items, "Sum", 3600), metric(answered, "Sum", 3600)):
        assert watched in alarm["watches"]
    assert (alarm["comparison"], alarm["threshold"]) == ("GreaterThanOrEqualToThreshold", 1.0)
    assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (12, 12)  # FreshnessAlarmHours' default
    assert alarm["missing_data"] == "notBreaching"
    expression, ids = _freshness_metrics(stack)
    hour = lambda **counts: _evaluate(expression, {i: counts[name] for i, name in ids.items()})
    assert hour(**{items: 0, answered: 3}) == 1, "feeds answered, nothing stored: a stale hour"
    assert hour(**{items: 2, answered: 3}) == 0, "items stored"
    assert hour(**{items: 0, answered: 0}) == 0, "no feed answered: the failure alarms' business"


def test_freshness_alarm_hours_sets_the_evaluation_periods(stack_for):
    stack = stack_for(FreshnessAlarmHours="6")
    _, alarm = stack.alarm_watching(run_metric("items_new"))
    assert (alarm["evaluation_periods"], alarm["datapoints_to_alarm"]) == (6, 6)
    assert "6 hours" in alarm["description"]


def test_freshness_alarm_hours_stays_within_the_day_an_alarm_can_look_back(sam, synth_cdk):
    parameter = sam["Parameters"]["FreshnessAlarmHours"]
    assert (parameter["Type"], parameter["Default"], parameter["MinValue"], parameter["MaxValue"]) == ("Number", 12, 1, 24)
    assert parameter["MaxValue"] * 3600 <= 86400
    for hours in ("0", "25"):
        with pytest.raises(subprocess.CalledProcessError) as failure:
            synth_cdk(freshnessAlarmHours=hours)
        assert "freshnessAlarmHours" in failure.value.stderr


# ---------------------------------------------------------------- dashboard

def test_the_dashboard_body_is_json_and_draws_every_function_table_api_and_ingest_metric(stack):
    found = dashboards(stack.template, **stack.params)  # parses each body after substitution
    assert list(found) == ["Dashboard"]
    dashboard = found["Dashboard"]
    assert dashboard["name"] == "nba-tracker-staging"
    widgets = dashboard["widgets"]
    assert all(w["region"] == "${AWS::Region}" for w in widgets.values())
    drawn = {m for w in widgets.values() for m in w["metrics"]}

    functions = {logical for logical, _ in stack.functions()}
    assert functions == {"IngestFunction", "MaintenanceFunction", "NewsApiFunction", "UsersApiFunction", "MetricsApiFunction",
                         "NotifyFunction"}
    for fn in functions:
        for name in ("Errors", "Throttles"):
            assert f"AWS/Lambda/{name}{{FunctionName=${{{fn}}}}}:Sum@300" in drawn, (fn, name)
    tables = {logical for logical, _ in stack.resources("AWS::DynamoDB::Table")}
    assert tables == {"NewsTable", "UsersTable", "MetricsTable", "AlertsTable"}
    for table in tables:
        for name in ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"):
            assert f"AWS/DynamoDB/{name}{{TableName=${{{table}}}}}:Sum@300" in drawn, (table, name)
    for stat in ("p50", "p95", "p99"):
        assert f"AWS/ApiGateway/Latency{{ApiId=${{HttpApi}}}}:{stat}@300" in drawn
    for name in ("4xx", "5xx"):
        assert f"AWS/ApiGateway/{name}{{ApiId=${{HttpApi}}}}:Sum@300" in drawn

    for name in category_metrics():
        assert metric(name, "Sum", 3600) in drawn, name
    assert metric(run_metric("items_new"), "Sum", 3600) in drawn
    assert metric(run_metric("feeds_failed"), "Sum", 900) in drawn
    # One line per feed: a SEARCH over the per-feed metric's dimension, as emf_lines emits it.
    name, dimension = feed_metric()
    searches = [m[1] for m in drawn if isinstance(m, tuple)]
    assert f"SEARCH('{{{namespace()},{dimension}}} MetricName=\"{name}\"', 'Sum', 900)" in searches
    for field in ("delivered", "failed", "paused", "deferred"):
        assert metric(notify_metric(field), "Sum", 300) in drawn, field
    assert "AWS/Lambda/IteratorAge{FunctionName=${NotifyFunction}}:Maximum@300" in drawn


# ---------------------------------------------------------------- retention

DAY_COUNTS = re.compile(r"Days")  # ExpirationInDays, TransitionInDays, DaysAfterInitiation, RetentionInDays, ...


def _day_counts(node, where=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if DAY_COUNTS.search(key) and not isinstance(value, (dict, list)):
                yield f"{where}.{key}", value
            yield from _day_counts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _day_counts(value, f"{where}[{i}]")


def test_retention_zero_keeps_everything_and_leaves_no_day_count_below_one(stack_for):
    """RetentionDays / MetricsRetentionDays 0 means keep forever. The functions get 0 (their TTL is
    then off), and no property that counts days (S3 lifecycle expiration must be >= 1) gets 0."""
    stack = stack_for(RetentionDays="0", MetricsRetentionDays="0")
    resolver = Resolver(stack.template, **stack.params)
    found = [(f"{logical}{where}", value) for logical, _, p, _ in resolver.resources() for where, value in _day_counts(p)]
    assert found, "no day counts found"
    for where, value in found:
        assert int(value) >= 1, (where, value)
    assert "expire-raw-archive" not in lifecycle_rules(stack.template, **stack.params)["ArchiveBucket"]
    env = {logical: p.get("Environment", {}).get("Variables", {}) for logical, p in stack.functions()}
    assert str(env["IngestFunction"]["NEWS_RETENTION_DAYS"]) == "0"
    assert str(env["MetricsApiFunction"]["METRICS_RETENTION_DAYS"]) == "0"


def test_retention_days_expire_the_raw_archive(stack_for):
    stack = stack_for(RetentionDays="45")
    rule = lifecycle_rules(stack.template, **stack.params)["ArchiveBucket"]["expire-raw-archive"]
    assert rule == {"Id": "expire-raw-archive", "Status": "Enabled", "Prefix": "raw/", "ExpirationInDays": 45}


def test_retention_parameters_allow_zero(sam):
    for name in ("RetentionDays", "MetricsRetentionDays"):
        assert sam["Parameters"][name]["MinValue"] == 0, name
        assert "0 keeps" in sam["Parameters"][name]["Description"], name


def _role_grants_trace_writes(template, role):
    """Does the role send X-Ray segments: the managed write-only policy (SAM) or a statement
    allowing xray:PutTraceSegments (CDK), inline or in a policy attached to it?"""
    props = template["Resources"][role]["Properties"]
    if "AWSXrayWriteOnlyAccess" in str(props.get("ManagedPolicyArns", [])):
        return True
    documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
    documents += [r["Properties"]["PolicyDocument"] for r in template["Resources"].values()
                  if r["Type"] == "AWS::IAM::Policy" and {"Ref": role} in r["Properties"].get("Roles", [])]
    actions = set()
    for document in documents:
        for statement in document["Statement"]:
            if statement["Effect"] == "Allow":
                action = statement["Action"]
                actions |= set(action if isinstance(action, list) else [action])
    return "xray:PutTraceSegments" in actions


def test_every_function_is_traced_and_may_send_its_subsegments(sam_cfn, cdk):
    """Active X-Ray tracing on each of the six functions of both stacks, with a role that may
    send the subsegments shared::aws::xray reports for every DynamoDB and S3 call."""
    for stack, template in (("sam", sam_cfn), ("cdk", cdk)):
        functions = {k: r["Properties"] for k, r in template["Resources"].items() if is_product_function(r)}
        assert len(functions) == 6, (stack, sorted(functions))
        for logical, fn in functions.items():
            assert fn.get("TracingConfig") == {"Mode": "Active"}, (stack, logical)
            assert _role_grants_trace_writes(template, fn["Role"]["Fn::GetAtt"][0]), (stack, logical)

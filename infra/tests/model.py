"""Normalised views of a SAM template and a synthesized CDK template, so the two can be compared
on what matters: tables, functions, routes, schedules, environment names, IAM statements, the HTTP
API's authorizer, CORS, throttling and access logs, and the Cognito identity resources."""
import json
import re

from conftest import logical_base

PSEUDO_PARAMETERS = {"AWS::AccountId", "AWS::NotificationARNs", "AWS::Partition", "AWS::Region", "AWS::StackId",
                     "AWS::StackName", "AWS::URLSuffix"}
NO_VALUE = object()


class Resolver:
    """Evaluates a template's intrinsic functions the way CloudFormation would for given parameter
    values (the defaults, then the overrides), leaving what is only known at deploy time symbolic:
    a resource is "${LogicalId}" (CDK's hash suffix dropped), an attribute "${LogicalId.Attr}", a
    pseudo parameter "${AWS::Region}". So a SAM template and a CDK one resolve to comparable values."""

    def __init__(self, template, **overrides):
        self.template = template
        self.params = {}
        for name, spec in template.get("Parameters", {}).items():
            value = overrides.get(name, spec.get("Default"))
            if value is None:
                continue
            if spec["Type"] == "CommaDelimitedList":
                value = value if isinstance(value, list) else str(value).split(",")
            else:
                value = str(value)  # CloudFormation hands every other parameter to Ref as a string
            self.params[name] = value
        self.conditions = {}

    def condition(self, name):
        if name not in self.conditions:
            self.conditions[name] = self.truth(self.template["Conditions"][name])
        return self.conditions[name]

    def truth(self, node):
        (fn, args), = node.items()
        if fn == "Fn::Equals":
            a, b = (self(x) for x in args)
            return (a if isinstance(a, list) else str(a)) == (b if isinstance(b, list) else str(b))
        if fn == "Fn::Not":
            return not self.truth(args[0])
        if fn == "Fn::And":
            return all(self.truth(a) for a in args)
        if fn == "Fn::Or":
            return any(self.truth(a) for a in args)
        if fn == "Fn::Contains":
            items, item = self(args[0]), self(args[1])
            return item in items
        if fn == "Condition":
            return self.condition(args)
        raise ValueError(f"unsupported condition function {fn}")

    def _name(self, name):
        if name in self.params:
            return self.params[name]
        if name in PSEUDO_PARAMETERS:
            return "${%s}" % name
        base, dot, attribute = name.partition(".")
        return "${%s%s%s}" % (logical_base(base), dot, attribute)

    def __call__(self, node):
        if isinstance(node, list):
            return [v for v in (self(x) for x in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (fn, args), = node.items()
            if fn == "Ref":
                return NO_VALUE if args == "AWS::NoValue" else self._name(args)
            if fn == "Fn::GetAtt":
                return self._name(args if isinstance(args, str) else ".".join(args))
            if fn == "Fn::Sub":
                text, variables = (args, {}) if isinstance(args, str) else (args[0], {k: self(v) for k, v in args[1].items()})
                return re.sub(r"\$\{([^!}][^}]*)\}", lambda m: str(variables[m.group(1)] if m.group(1) in variables else self._name(m.group(1))), text)
            if fn == "Fn::Join":
                return args[0].join(str(item) for item in self(args[1]))
            if fn == "Fn::Split":
                return self(args[1]).split(args[0])
            if fn == "Fn::Select":
                return self(args[1])[int(self(args[0]))]
            if fn == "Fn::If":
                return self(args[1] if self.condition(args[0]) else args[2])
        out = {}
        for key, value in node.items():
            value = self(value)
            if value is not NO_VALUE:
                out[key] = value
        return out

    def resources(self):
        """(logical id, type, resolved properties, resource) of every resource its condition keeps."""
        for logical, res in self.template["Resources"].items():
            if "Condition" in res and not self.condition(res["Condition"]):
                continue
            yield logical, res["Type"], self(res.get("Properties", {})), res


def tables(template):
    out = {}
    for logical, res in template["Resources"].items():
        if res["Type"] != "AWS::DynamoDB::Table":
            continue
        p = res["Properties"]
        types = {a["AttributeName"]: a["AttributeType"] for a in p["AttributeDefinitions"]}
        keys = lambda schema: tuple((k["AttributeName"], types[k["AttributeName"]], k["KeyType"]) for k in schema)
        out[logical_base(logical)] = {
            "keys": keys(p["KeySchema"]),
            "indexes": {g["IndexName"]: (keys(g["KeySchema"]), g["Projection"]["ProjectionType"]) for g in p.get("GlobalSecondaryIndexes", [])},
            "ttl": (p.get("TimeToLiveSpecification") or {}).get("AttributeName"),
            "billing": p.get("BillingMode"),
            "pitr": (p.get("PointInTimeRecoverySpecification") or {}).get("PointInTimeRecoveryEnabled"),
            "sse": (p.get("SSESpecification") or {}).get("SSEEnabled"),
            "stream": (p.get("StreamSpecification") or {}).get("StreamViewType"),
        }
    return out


def _statements(policies):
    out = {}
    for policy in policies:
        if not isinstance(policy, dict):
            continue
        for statement in policy.get("Statement", []):
            if "Sid" in statement:
                actions = statement["Action"]
                out[statement["Sid"]] = sorted([actions] if isinstance(actions, str) else actions)
    return out


def _reserved(value):
    return None if value is None else int(value)


def sam_functions(template, **overrides):
    """function (nba-tracker-<stage>-<function>) -> {env, routes, schedules, statements, reserved (concurrency)}."""
    resolver = Resolver(template, **overrides)
    params = template.get("Parameters", {})
    resolve = lambda v: params[v["Ref"]]["Default"] if isinstance(v, dict) and "Ref" in v and v["Ref"] in params else v
    global_env = set(template["Globals"]["Function"]["Environment"]["Variables"])
    out = {}
    for res in template["Resources"].values():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        p = res["Properties"]
        function = p["FunctionName"]["Fn::Sub"].split("${Stage}-", 1)[1]
        events = p.get("Events", {}).values()
        out[function] = {
            "env": sorted(global_env | set(((p.get("Environment") or {}).get("Variables") or {}))),
            "routes": sorted((e["Properties"]["Method"], e["Properties"]["Path"]) for e in events if e["Type"] == "HttpApi"),
            "schedules": sorted(resolve(e["Properties"]["Schedule"]) for e in events if e["Type"] == "Schedule"),
            "statements": _statements(p.get("Policies", [])),
            "reserved": _reserved(resolver(p).get("ReservedConcurrentExecutions")),
        }
    return out


def _ref_target(value):
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
        if "Ref" in value:
            return value["Ref"]
    return None


def is_product_function(res):
    """One of the six functions of functions/ (not a CDK helper such as the page's bucket
    deployment, which runs on a Python runtime)."""
    return res["Type"] == "AWS::Lambda::Function" and res.get("Properties", {}).get("Runtime") == "provided.al2023"


def cdk_functions(template):
    resources = template["Resources"]
    by_logical = {}
    out = {}
    for logical, res in resources.items():
        if is_product_function(res):
            name = res["Properties"]["FunctionName"]
            binary = name.split("-", 3)[3]  # nba-tracker-<stage>-<function>
            by_logical[logical] = binary
            out[binary] = {
                "env": sorted(res["Properties"].get("Environment", {}).get("Variables", {})),
                "routes": [],
                "schedules": [],
                "statements": {},
                "reserved": _reserved(res["Properties"].get("ReservedConcurrentExecutions")),
                "role": _ref_target(res["Properties"]["Role"]),
            }
    integrations = {logical: by_logical.get(_ref_target(res["Properties"]["IntegrationUri"]))
                    for logical, res in resources.items() if res["Type"] == "AWS::ApiGatewayV2::Integration"}
    for res in resources.values():
        p = res.get("Properties", {})
        if res["Type"] == "AWS::ApiGatewayV2::Route":
            target = p["Target"]["Fn::Join"][1][1]["Ref"]
            method, path = p["RouteKey"].split(" ", 1)
            out[integrations[target]]["routes"].append((method, path))
        elif res["Type"] == "AWS::Events::Rule":
            for t in p["Targets"]:
                out[by_logical[_ref_target(t["Arn"])]]["schedules"].append(p["ScheduleExpression"])
        elif res["Type"] == "AWS::IAM::Policy":
            for fn in out.values():
                if any(_ref_target(r) == fn["role"] for r in p["Roles"]):
                    fn["statements"].update(_statements([p["PolicyDocument"]]))
    for fn in out.values():
        fn["routes"].sort()
        fn["schedules"].sort()
        del fn["role"]
    return out


def allow_statements(template):
    """Every Allow statement of every permissions policy in the template: (where, statement).
    Trust policies (a Principal, no Resource) grant nothing and are left out, and so are KMS key
    policies, whose statements name no other resource than the key ("*")."""
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("Effect") == "Allow" and "Action" in node and "Resource" in node:
                found.append((where, node))
            for key, value in node.items():
                if key != "KeyPolicy":  # a key policy's Resource "*" is the key itself (see key_policy)
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(template["Resources"], "Resources")
    return found


def _throttle(settings):
    return (settings["ThrottlingBurstLimit"], settings["ThrottlingRateLimit"])


def http_api(template, **overrides):
    """The HTTP API as the gateway will run it, from a SAM template after the transform (an OpenAPI
    body with API Gateway's extensions) or a CDK one (Route and Authorizer resources):
    authorizers, routes ("METHOD /path" -> authorizer name, None when public), scopes demanded by
    routes, CORS, stage throttling and access logging."""
    r = Resolver(template, **overrides)
    resources = list(r.resources())
    apis = [(logical, p) for logical, kind, p, _ in resources if kind == "AWS::ApiGatewayV2::Api"]
    assert len(apis) == 1, apis
    api_logical, api = apis[0]
    authorizers, routes, scoped = {}, {}, {}
    if "Body" in api:
        body = api["Body"]
        for name, scheme in body.get("components", {}).get("securitySchemes", {}).items():
            a = scheme["x-amazon-apigateway-authorizer"]
            source = a.get("identitySource")
            authorizers[name] = {
                "type": a["type"].upper(),
                "identity_source": [source] if isinstance(source, str) else source,
                "issuer": a["jwtConfiguration"]["issuer"],
                "audience": a["jwtConfiguration"]["audience"],
            }
        for path, operations in body["paths"].items():
            for method, operation in operations.items():
                key = f"{method.upper()} {path}"
                security = operation.get("security", body.get("security", []))
                names = [name for requirement in security for name in requirement if name != "NONE"]
                assert len(names) <= 1, (key, security)
                routes[key] = names[0] if names else None
                scopes = [scope for requirement in security for listed in requirement.values() for scope in listed]
                if scopes:
                    scoped[key] = scopes
        cors = {k[0].upper() + k[1:]: v for k, v in body.get("x-amazon-apigateway-cors", {}).items()}
    else:
        names = {}
        for logical, kind, p, _ in resources:
            if kind == "AWS::ApiGatewayV2::Authorizer":
                names[f"${{{logical_base(logical)}}}"] = p["Name"]
                authorizers[p["Name"]] = {
                    "type": p["AuthorizerType"],
                    "identity_source": p.get("IdentitySource"),
                    "issuer": p["JwtConfiguration"]["Issuer"],
                    "audience": p["JwtConfiguration"]["Audience"],
                }
        for _, kind, p, _ in resources:
            if kind == "AWS::ApiGatewayV2::Route":
                routes[p["RouteKey"]] = names[p["AuthorizerId"]] if p.get("AuthorizationType", "NONE") != "NONE" else None
                if p.get("AuthorizationScopes"):
                    scoped[p["RouteKey"]] = p["AuthorizationScopes"]
        cors = api.get("CorsConfiguration", {})
    stages = [p for _, kind, p, res in resources
              if kind == "AWS::ApiGatewayV2::Stage" and res["Properties"]["ApiId"] == {"Ref": api_logical}]
    assert len(stages) == 1, stages
    stage = stages[0]
    log = stage.get("AccessLogSettings")
    log_groups = {f"${{{logical_base(logical)}.Arn}}": p for logical, kind, p, _ in resources if kind == "AWS::Logs::LogGroup"}
    destination = log_groups.get(log["DestinationArn"]) if log else None
    return {
        "authorizers": authorizers,
        "routes": routes,
        "scoped_routes": scoped,
        "cors": {
            "origins": cors.get("AllowOrigins"),
            "methods": sorted(m.upper() for m in cors.get("AllowMethods", [])),
            "headers": sorted(h.lower() for h in cors.get("AllowHeaders", [])),
            "credentials": bool(cors.get("AllowCredentials", False)),
            "max_age": cors.get("MaxAge"),
        },
        "default_throttle": _throttle(stage["DefaultRouteSettings"]) if "DefaultRouteSettings" in stage else None,
        "route_throttle": {key: _throttle(v) for key, v in stage.get("RouteSettings", {}).items()},
        "access_log": {
            "format": json.loads(log["Format"]),
            "destination": log["DestinationArn"],
            "log_group_name": destination and destination.get("LogGroupName"),
            "retention_days": destination and destination.get("RetentionInDays") and int(destination["RetentionInDays"]),
        } if log else None,
    }


_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
_DEFAULT_UNITS = {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"}


def identity(template, **overrides):
    """The Cognito resources by kind and logical id (CDK's hash dropped), on what they decide."""
    r = Resolver(template, **overrides)
    out = {"pools": {}, "clients": {}, "domains": {}, "resource_servers": {}, "groups": {}}
    for logical, kind, p, res in r.resources():
        name = logical_base(logical)
        if kind == "AWS::Cognito::UserPool":
            out["pools"][name] = {
                "username_attributes": sorted(p.get("UsernameAttributes", [])),
                "auto_verified": sorted(p.get("AutoVerifiedAttributes", [])),
                "case_sensitive": p.get("UsernameConfiguration", {}).get("CaseSensitive", True),
                "email_required": any(a["Name"] == "email" and a.get("Required") for a in p.get("Schema", [])),
                "password_policy": p.get("Policies", {}).get("PasswordPolicy"),
                "self_sign_up": not p.get("AdminCreateUserConfig", {}).get("AllowAdminCreateUserOnly", False),
                "recovery": p.get("AccountRecoverySetting"),
                "mfa": p.get("MfaConfiguration", "OFF"),
                "deletion_protection": p.get("DeletionProtection", "INACTIVE"),
                "deletion_policy": res.get("DeletionPolicy", "Delete"),
            }
        elif kind == "AWS::Cognito::UserPoolClient":
            units = {**_DEFAULT_UNITS, **p.get("TokenValidityUnits", {})}
            out["clients"][name] = {
                "pool": p["UserPoolId"],
                "secret": bool(p.get("GenerateSecret", False)),
                "oauth": bool(p.get("AllowedOAuthFlowsUserPoolClient", False)),
                "flows": sorted(p.get("AllowedOAuthFlows", [])),
                "scopes": sorted(p.get("AllowedOAuthScopes", [])),
                "callback_urls": p.get("CallbackURLs"),
                "logout_urls": p.get("LogoutURLs"),
                "identity_providers": sorted(p.get("SupportedIdentityProviders", [])),
                "auth_flows": sorted(p.get("ExplicitAuthFlows", [])),
                "prevent_user_existence_errors": p.get("PreventUserExistenceErrors"),
                "token_revocation": p.get("EnableTokenRevocation"),
                "validity_seconds": {token: int(p[f"{token}Validity"]) * _UNIT_SECONDS[units[token].lower()]
                                     for token in _DEFAULT_UNITS if f"{token}Validity" in p},
            }
        elif kind == "AWS::Cognito::UserPoolDomain":
            out["domains"][name] = {"pool": p["UserPoolId"], "domain": p["Domain"]}
        elif kind == "AWS::Cognito::UserPoolResourceServer":
            out["resource_servers"][name] = {"pool": p["UserPoolId"], "identifier": p["Identifier"],
                                             "scopes": sorted(s["ScopeName"] for s in p.get("Scopes", []))}
        elif kind == "AWS::Cognito::UserPoolGroup":
            out["groups"][name] = {"pool": p["UserPoolId"], "name": p["GroupName"], "precedence": p.get("Precedence")}
    return out


def outputs(template, **overrides):
    r = Resolver(template, **overrides)
    return {name: r(output["Value"]) for name, output in template.get("Outputs", {}).items()}


def _by_logical(template, kind, **overrides):
    """{logical id without CDK's hash: resolved properties} of the resources of one type."""
    return {logical_base(logical): p for logical, k, p, _ in Resolver(template, **overrides).resources() if k == kind}


def _statement_view(statement):
    actions = statement["Action"]
    return {
        "effect": statement["Effect"],
        "principal": statement.get("Principal"),
        "actions": sorted([actions] if isinstance(actions, str) else actions),
        "resources": statement["Resource"],
        "condition": statement.get("Condition"),
    }


def topic_keys(template, **overrides):
    """SNS topic -> its KMS key as the topic names it, and, when that is a key of this template,
    the key's rotation and policy statements by Sid."""
    keys = {}
    for logical, p in _by_logical(template, "AWS::KMS::Key", **overrides).items():
        view = {"rotation": p.get("EnableKeyRotation", False),
                "statements": {s.get("Sid"): _statement_view(s) for s in p["KeyPolicy"]["Statement"]}}
        keys[f"${{{logical}}}"] = keys[f"${{{logical}.Arn}}"] = {"key": logical, **view}
    return {topic: keys.get(p.get("KmsMasterKeyId"), {"key": p.get("KmsMasterKeyId")})
            for topic, p in _by_logical(template, "AWS::SNS::Topic", **overrides).items()}


def _metric(namespace, name, dimensions, stat, period):
    dims = ",".join(f"{d['Name']}={d['Value']}" for d in sorted(dimensions or [], key=lambda d: d["Name"]))
    return f"{namespace}/{name}{{{dims}}}:{stat}@{int(period)}"


def alarms(template, **overrides):
    """Alarm (logical id) -> what it watches and when it fires. A metric is written
    Namespace/Name{Dim=Value}:Stat@Period; a metric math alarm's expression has its metric ids
    replaced by the metrics, so the ids chosen (CDK's expr_1, m1...) do not matter."""
    out = {}
    for logical, p in _by_logical(template, "AWS::CloudWatch::Alarm", **overrides).items():
        if "Metrics" in p:
            metrics = {m["Id"]: _metric(m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"],
                                        m["MetricStat"]["Metric"].get("Dimensions"), m["MetricStat"]["Stat"], m["MetricStat"]["Period"])
                       for m in p["Metrics"] if "MetricStat" in m}
            returned = [m for m in p["Metrics"] if m.get("ReturnData", True)]
            assert len(returned) == 1 and "Expression" in returned[0], (logical, returned)
            watched = re.sub(r"\b[a-z][A-Za-z0-9_]*\b", lambda m: metrics.get(m.group(0), m.group(0)), returned[0]["Expression"])
        else:
            watched = _metric(p["Namespace"], p["MetricName"], p.get("Dimensions"), p.get("Statistic") or p["ExtendedStatistic"], p["Period"])
        periods = int(p["EvaluationPeriods"])
        out[logical] = {
            "description": p.get("AlarmDescription"),
            "watches": watched,
            "comparison": p["ComparisonOperator"],
            "threshold": float(p["Threshold"]),
            "evaluation_periods": periods,
            "datapoints_to_alarm": int(p.get("DatapointsToAlarm", periods)),
            "missing_data": p.get("TreatMissingData", "missing"),
            "actions": sorted(p.get("AlarmActions", [])),
        }
    return out


def dashboards(template, **overrides):
    """Dashboard (logical id) -> {name, body (the parsed JSON), widgets: title -> the metrics each
    graph draws, written as alarms() writes them (period 300 when none is given), and expressions}."""
    out = {}
    for logical, p in _by_logical(template, "AWS::CloudWatch::Dashboard", **overrides).items():
        body = json.loads(p["DashboardBody"])
        widgets = {}
        for widget in body["widgets"]:
            drawn = []
            for row in widget["properties"].get("metrics", []):
                options = row[-1] if isinstance(row[-1], dict) else {}
                fields = row[:-1] if options else row
                if not fields:
                    drawn.append(("expression", options["expression"], int(options.get("period", 300))))
                    continue
                namespace, name, *pairs = fields
                dimensions = [{"Name": pairs[i], "Value": pairs[i + 1]} for i in range(0, len(pairs), 2)]
                drawn.append(_metric(namespace, name, dimensions, options.get("stat", "Average"), options.get("period", 300)))
            widgets[widget["properties"]["title"]] = {"region": widget["properties"].get("region"), "metrics": drawn}
        out[logical] = {"name": p.get("DashboardName"), "body": body, "widgets": widgets}
    return out


def event_source_mappings(template, **overrides):
    """Event source mapping (logical id without CDK's hash) -> its resolved properties, with the
    filter patterns parsed (JSON in a string) and the function named by its logical id; tags
    aside (CDK tags every resource, SAM not this one; test_same_project_and_stage_tags)."""
    out = {}
    for logical, p in _by_logical(template, "AWS::Lambda::EventSourceMapping", **overrides).items():
        p = {k: v for k, v in p.items() if k != "Tags"}
        if "FilterCriteria" in p:
            p["FilterCriteria"] = {"Filters": [json.loads(f["Pattern"]) for f in p["FilterCriteria"]["Filters"]]}
        out[logical] = _numbers(p)
    return out


def _numbers(node):
    """Numbers given as parameter values ("90") as numbers, the way CloudFormation takes them."""
    if isinstance(node, dict):
        return {k: _numbers(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_numbers(v) for v in node]
    return int(node) if isinstance(node, str) and node.isdigit() else node


def lifecycle_rules(template, **overrides):
    """Bucket -> lifecycle rule id -> the rule as resolved (Status, Prefix, expirations, transitions)."""
    return {bucket: {rule["Id"]: _numbers(rule) for rule in (p.get("LifecycleConfiguration") or {}).get("Rules", [])}
            for bucket, p in _by_logical(template, "AWS::S3::Bucket", **overrides).items()}

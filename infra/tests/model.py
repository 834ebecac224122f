"""Normalised views of a SAM template and a synthesized CDK template, so the two can be compared
on what matters: tables, functions, routes, schedules, environment names and IAM statements."""
from conftest import logical_base


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


def sam_functions(template, parameter_defaults=True):
    """binary -> {env, routes, schedules, statements}."""
    params = template.get("Parameters", {})
    resolve = lambda v: params[v["Ref"]]["Default"] if isinstance(v, dict) and "Ref" in v and v["Ref"] in params else v
    global_env = set(template["Globals"]["Function"]["Environment"]["Variables"])
    out = {}
    for res in template["Resources"].values():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        p = res["Properties"]
        binary = res["Metadata"]["BuildProperties"]["Binary"]
        events = p.get("Events", {}).values()
        out[binary] = {
            "env": sorted(global_env | set(((p.get("Environment") or {}).get("Variables") or {}))),
            "routes": sorted((e["Properties"]["Method"], e["Properties"]["Path"]) for e in events if e["Type"] == "HttpApi"),
            "schedules": sorted(resolve(e["Properties"]["Schedule"]) for e in events if e["Type"] == "Schedule"),
            "statements": _statements(p.get("Policies", [])),
        }
    return out


def _ref_target(value):
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
        if "Ref" in value:
            return value["Ref"]
    return None


def cdk_functions(template):
    resources = template["Resources"]
    by_logical = {}
    out = {}
    for logical, res in resources.items():
        if res["Type"] == "AWS::Lambda::Function":
            name = res["Properties"]["FunctionName"]
            binary = name.split("-", 3)[3]  # nba-tracker-<stage>-<binary>
            by_logical[logical] = binary
            out[binary] = {
                "env": sorted(res["Properties"].get("Environment", {}).get("Variables", {})),
                "routes": [],
                "schedules": [],
                "statements": {},
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
    Trust policies (a Principal, no Resource) grant nothing and are left out."""
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("Effect") == "Allow" and "Action" in node and "Resource" in node:
                found.append((where, node))
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(template["Resources"], "Resources")
    return found

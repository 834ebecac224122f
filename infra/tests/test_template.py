"""template.yaml: lint-clean, least privilege, and in agreement with the code."""
import json
import re
import shutil
import subprocess

import pytest

from conftest import ROOT
from model import Resolver, allow_statements, http_api, sam_functions, tables
from test_access import PUBLIC_ROUTES

LOGICAL = {"news": "NewsTable", "users": "UsersTable", "metrics": "MetricsTable", "alerts": "AlertsTable"}


def test_cfn_lint_has_no_findings():
    """The stack, and the us-east-1 web ACL stack of its distribution."""
    result = subprocess.run([shutil.which("cfn-lint") or "cfn-lint", str(ROOT / "template.yaml"), str(ROOT / "infra" / "waf.yaml")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_tables_match_the_code_declarations(sam, schema):
    declared = tables(sam)
    for table in schema:
        t = declared[LOGICAL[table["name"]]]
        key = lambda k, role: (k["name"], k["kind"], role)
        want_keys = (key(table["partition"], "HASH"),) + ((key(table["sort"], "RANGE"),) if table["sort"] else ())
        assert t["keys"] == want_keys, table["name"]
        want_indexes = {
            i["name"]: ((key(i["partition"], "HASH"),) + ((key(i["sort"], "RANGE"),) if i["sort"] else ()), "ALL")
            for i in table["indexes"]
        }
        assert t["indexes"] == want_indexes, table["name"]
        assert t["ttl"] == table["ttl"], table["name"]
        assert (t["billing"], t["pitr"], t["sse"]) == ("PAY_PER_REQUEST", True, True), table["name"]
    assert set(declared) == set(LOGICAL.values())


def test_every_function_reads_the_table_and_bucket_names(sam, schema):
    env = set(sam["Globals"]["Function"]["Environment"]["Variables"])
    assert env == {t["env_var"] for t in schema} | {"ARCHIVE_BUCKET"}


def test_no_wildcard_action_or_resource(sam):
    """No Allow statement names an action with '*' or the resource '*'. Object-key prefixes
    such as <bucket arn>/raw/* are scoped to one bucket and prefix, and allowed."""
    statements = allow_statements(sam)
    assert statements, "no policy statements found"
    for where, statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in a for a in actions), (where, actions)
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            text = json.dumps(resource)
            assert resource != "*" and not text.endswith(':*"'), (where, resource)


def test_every_lambda_binary_is_deployed_by_the_makefile(sam):
    """Each function's Makefile target builds every function package in one cargo run and copies
    a binary of functions/; every binary is deployed (as `make -n` says it would run them)."""
    metadata = json.loads(subprocess.run(["cargo", "metadata", "--no-deps", "--format-version", "1"], cwd=ROOT,
                                         capture_output=True, text=True, check=True).stdout)
    functions = [p for p in metadata["packages"] if "/functions/" in p["manifest_path"]]
    binaries = {t["name"] for p in functions for t in p["targets"] if "bin" in t["kind"]}
    deployed = set()
    for logical, res in sam["Resources"].items():
        if res["Type"] == "AWS::Serverless::Function":
            assert res["Metadata"] == {"BuildMethod": "makefile"}, logical
            assert res["Properties"]["CodeUri"] == ".", logical
            recipe = subprocess.run(["make", "-n", f"build-{logical}", "ARTIFACTS_DIR=/artifacts"], cwd=ROOT,
                                    capture_output=True, text=True, check=True).stdout
            build = next(line for line in recipe.splitlines() if " build " in line)
            assert {p["name"] for p in functions} == set(re.findall(r"-p ([a-z-]+)", build)), build
            copied = re.search(r'lambda/([a-z-]+)/bootstrap" "/artifacts/bootstrap"', recipe)
            assert copied, recipe
            deployed.add(copied.group(1))
    assert deployed == binaries


def test_sam_builds_in_source_with_the_lambda_profile():
    """samconfig.toml builds in the source tree (cargo's cache serves every function), and the
    Makefile builds for arm64 with the size-optimised profile Cargo.toml declares."""
    samconfig = (ROOT / "samconfig.toml").read_text()
    build = samconfig.split("[default.build.parameters]", 1)[1].split("\n[", 1)[0]
    assert "build_in_source = true" in build
    makefile = (ROOT / "Makefile").read_text()
    assert "--profile lambda --arm64" in makefile
    cargo = (ROOT / "Cargo.toml").read_text()
    assert '[profile.lambda]\ninherits = "release"\nopt-level = "s"' in cargo


def test_routes_match_the_openapi_document(sam, openapi):
    routed = {route for fn in sam_functions(sam).values() for route in fn["routes"]}
    documented = {(method.upper(), path) for path, ops in openapi["paths"].items() for method in ops}
    assert routed - {("GET", "/openapi.json")} == documented


def test_scheduled_functions_and_failure_handling(sam):
    fns = sam_functions(sam)
    assert fns["ingest"]["schedules"] == ["rate(5 minutes)"]
    assert fns["maintenance"]["schedules"] == ["cron(15 0 * * ? *)"]
    for name in ("IngestFunction", "MaintenanceFunction"):
        config = sam["Resources"][name]["Properties"]["EventInvokeConfig"]
        assert config["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
        assert config["MaximumRetryAttempts"] >= 1


def test_the_jwt_authorizer_is_the_http_apis_default(sam):
    auth = sam["Resources"]["HttpApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "CognitoJwt"
    assert set(auth["Authorizers"]) == {"CognitoJwt"}
    jwt = auth["Authorizers"]["CognitoJwt"]
    assert jwt["IdentitySource"] == "$request.header.Authorization"
    assert Resolver(sam)(jwt["JwtConfiguration"]["issuer"]) == "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"


def test_only_the_public_events_opt_out_of_the_authorizer_and_none_names_scopes(sam):
    opted_out = set()
    for res in sam["Resources"].values():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        for event in res["Properties"].get("Events", {}).values():
            if event["Type"] != "HttpApi":
                continue
            auth = event["Properties"].get("Auth", {})
            assert "AuthorizationScopes" not in auth, event
            if auth:
                assert auth == {"Authorizer": "NONE"}, event
                opted_out.add(f"{event['Properties']['Method']} {event['Properties']['Path']}")
    assert opted_out == PUBLIC_ROUTES


@pytest.mark.parametrize("device_client_ids, audience", [
    ("", ["${WebClient}"]),
    ("client-a", ["${WebClient}", "client-a"]),
    ("client-a,client-b", ["${WebClient}", "client-a", "client-b"]),
])
def test_device_client_ids_join_the_audience_and_an_empty_list_adds_nothing(sam_cfn, device_client_ids, audience):
    api = http_api(sam_cfn, DeviceClientIds=device_client_ids)
    assert api["authorizers"]["CognitoJwt"]["audience"] == audience


@pytest.mark.parametrize("origins, allowed", [
    ("http://localhost:3000", True),
    ("https://tracker.example.com,http://localhost:3000", True),
    ("*", False),
    ("https://tracker.example.com,*", False),
])
def test_a_rule_rejects_a_wildcard_origin(sam, origins, allowed):
    resolver = Resolver(sam, AllowedOrigins=origins)
    results = [resolver.truth(a["Assert"]) for a in sam["Rules"]["ExplicitAllowedOrigins"]["Assertions"]]
    assert all(results) == allowed


@pytest.mark.parametrize("domain, certificate, allowed", [
    ("", "", True),
    ("trades.example.com", "arn:aws:acm:us-east-1:123456789012:certificate/abc", True),
    ("trades.example.com", "", False),
])
def test_a_custom_domain_needs_its_certificate(sam, domain, certificate, allowed):
    resolver = Resolver(sam, DomainName=domain, CertificateArn=certificate)
    rule = sam["Rules"]["DomainNeedsCertificate"]
    applies = resolver.truth(rule["RuleCondition"])
    assert (not applies or all(resolver.truth(a["Assert"]) for a in rule["Assertions"])) == allowed


def test_reserved_concurrency_zero_reserves_nothing_and_the_parameter_explains_the_account_limit(sam):
    reserved = {name: fn["reserved"] for name, fn in sam_functions(sam, ApiReservedConcurrency="0").items()}
    assert reserved == {"ingest": 1, "maintenance": None, "news-api": None, "users-api": None, "metrics-api": None,
                        "notify": None}
    parameter = sam["Parameters"]["ApiReservedConcurrency"]
    assert parameter["Default"] == 10 and parameter["MinValue"] == 0
    assert "100 unreserved" in parameter["Description"]


def test_openapi_declares_the_same_public_routes(sam, openapi):
    """Where openapi.json declares security, the routes it leaves open (an empty security
    requirement) are the template's public routes."""
    assert openapi["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    default = openapi.get("security", [])
    public = {f"{method.upper()} {path}" for path, operations in openapi["paths"].items()
              for method, operation in operations.items()
              if not operation.get("security", default) or {} in operation.get("security", default)}
    assert public == PUBLIC_ROUTES - {"GET /openapi.json"}

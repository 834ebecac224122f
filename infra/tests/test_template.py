"""template.yaml: lint-clean, least privilege, and in agreement with the code."""
import json
import shutil
import subprocess

from conftest import ROOT
from model import allow_statements, sam_functions, tables

LOGICAL = {"news": "NewsTable", "users": "UsersTable", "metrics": "MetricsTable"}


def test_cfn_lint_has_no_findings():
    result = subprocess.run([shutil.which("cfn-lint") or "cfn-lint", str(ROOT / "template.yaml")], capture_output=True, text=True)
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


def test_every_lambda_binary_is_deployed_with_cargo_lambda(sam):
    metadata = json.loads(subprocess.run(["cargo", "metadata", "--no-deps", "--format-version", "1"], cwd=ROOT,
                                         capture_output=True, text=True, check=True).stdout)
    binaries = {t["name"] for p in metadata["packages"] if "/functions/" in p["manifest_path"]
                for t in p["targets"] if "bin" in t["kind"]}
    deployed = {}
    for res in sam["Resources"].values():
        if res["Type"] == "AWS::Serverless::Function":
            assert res["Metadata"]["BuildMethod"] == "rust-cargolambda"
            deployed[res["Metadata"]["BuildProperties"]["Binary"]] = res
    assert set(deployed) == binaries


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

"""Fixtures: template.yaml parsed (CloudFormation tags kept as intrinsic-function dicts), the
CDK app synthesized offline, the code's table declarations and the OpenAPI document."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short forms (!Ref, !GetAtt, !Sub, ...) as {"Ref": ...} / {"Fn::X": ...}."""


def _intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _intrinsic)


@pytest.fixture(scope="session")
def sam():
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)


@pytest.fixture(scope="session")
def cdk(tmp_path_factory):
    """The CDK app synthesized for staging (whose settings are the template's defaults), without
    bundling: the Rust build is not needed to compare what the stacks declare."""
    out = tmp_path_factory.mktemp("cdk.out")
    subprocess.run(["npx", "--no-install", "tsc"], cwd=INFRA, check=True)
    env = dict(os.environ, CDK_OUTDIR=str(out), CDK_CONTEXT_JSON=json.dumps({"aws:cdk:bundling-stacks": [], "stage": "staging"}))
    subprocess.run(["node", "dist/bin/app.js"], cwd=INFRA, env=env, check=True)
    return json.loads((out / "nba-tracker-staging.template.json").read_text())


@pytest.fixture(scope="session")
def schema():
    binary = os.environ.get("TRACKER_BIN", str(ROOT / "target/debug/tracker"))
    return json.loads(subprocess.run([binary, "schema"], check=True, capture_output=True, text=True).stdout)


@pytest.fixture(scope="session")
def openapi():
    return json.loads((ROOT / "openapi.json").read_text())


def logical_base(logical_id):
    """CDK appends an 8-hex-digit hash to logical ids: NewsTable1A2B3C4D -> NewsTable."""
    return re.sub(r"[0-9A-F]{8}$", "", logical_id)

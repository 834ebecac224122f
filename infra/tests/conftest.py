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
def synth_cdk(tmp_path_factory):
    """Synthesizes the CDK app (compiled once) for staging, whose settings are the template's
    defaults, with extra context values; without bundling: the Rust build is not needed to compare
    what the stacks declare. Returns the template, or the CalledProcessError when synthesis fails."""
    subprocess.run(["npx", "--no-install", "tsc"], cwd=INFRA, check=True)

    def synth(**context):
        out = tmp_path_factory.mktemp("cdk.out")
        context = {"aws:cdk:bundling-stacks": [], "stage": "staging", **context}
        env = dict(os.environ, CDK_OUTDIR=str(out), CDK_CONTEXT_JSON=json.dumps(context))
        subprocess.run(["node", "dist/bin/app.js"], cwd=INFRA, env=env, check=True, capture_output=True, text=True)
        return json.loads((out / "nba-tracker-staging.template.json").read_text())

    return synth


@pytest.fixture(scope="session")
def cdk(synth_cdk):
    """The CDK app synthesized for staging with its default context."""
    return synth_cdk()


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


def sam_parameter_values(template, **overrides):
    """Parameter values as CloudFormation hands them to the SAM transform: each default, with
    CommaDelimitedList values as lists, and the overrides (strings, as given on a command line)."""
    values = {}
    for name, spec in template.get("Parameters", {}).items():
        value = overrides.get(name, spec.get("Default"))
        if value is None:
            continue
        values[name] = str(value).split(",") if spec["Type"] == "CommaDelimitedList" else value
    return values


def translate_sam(template, **overrides):
    """template.yaml as plain CloudFormation, through the SAM transform (aws-sam-translator, offline:
    a placeholder code location, a fixed region, no managed-policy look-up)."""
    import copy

    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = copy.deepcopy(template)
    for res in template["Resources"].values():
        if res["Type"] == "AWS::Serverless::Function":
            res["Properties"]["CodeUri"] = "s3://offline/code.zip"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name="us-east-1"))
    return translator.translate(template, parameter_values=sam_parameter_values(template, **overrides),
                                get_managed_policy_map=lambda: {})


@pytest.fixture(scope="session")
def sam_cfn(sam):
    """template.yaml after the SAM transform, with its default parameters."""
    return translate_sam(sam)

"""The committed JSON Schemas are exactly what the models generate, and strict-mode compatible."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from jixiao.models import SCHEMAS, TableData, schema_text


@pytest.mark.parametrize("filename", SCHEMAS)
def test_committed_schema_matches_models(filename):
    committed = (ROOT / "schemas" / filename).read_text(encoding="utf-8")
    assert committed == schema_text(SCHEMAS[filename]), (
        f"schemas/{filename} is stale: run `jixiao schema --write schemas`")


def test_schema_command_prints_the_table_schema():
    out = subprocess.run([sys.executable, "-m", "jixiao.cli", "schema"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == TableData.model_json_schema()


def _objects(node):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for v in node.values():
            yield from _objects(v)
    elif isinstance(node, list):
        for v in node:
            yield from _objects(v)


def test_table_schema_is_strict_mode_compatible():
    """OpenAI strict structured outputs: every key required, no extra keys, no defaults."""
    schema = TableData.model_json_schema()
    objects = list(_objects(schema))
    assert len(objects) == 3  # table, funds, indicator
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert set(obj["required"]) == set(obj["properties"])
    assert '"default"' not in json.dumps(schema)
    ind = schema["$defs"]["Indicator"]["properties"]
    assert ind["level1"]["enum"] == ["产出指标", "效益指标", "满意度指标"]
    assert {"≥", "≤", ">", "<", "="} == set(ind["operator"]["anyOf"][0]["enum"])
    order = list(ind)
    assert order.index("value_text") < order.index("operator") < order.index("value") < order.index("unit")


def test_contract_field_names():
    assert list(TableData.model_fields) == [
        "title", "year", "project_name", "competent_department", "implementing_unit", "project_attribute",
        "project_period", "funds", "overall_goals", "annual_goals", "indicators"]


def test_docs_rules_table_is_generated_from_the_catalogue():
    from jixiao.findings import RULES, with_catalogue

    doc = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert doc == with_catalogue(doc), "docs/rules.md is stale: run `jixiao rules --write docs/rules.md`"
    for rule in RULES:  # every rule of the code is documented, with its condition
        assert f"| {rule} |" in doc and RULES[rule].condition

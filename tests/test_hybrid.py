"""The hybrid backend on an httpx2 MockTransport (answers built here, not recorded): the rules read
every table, only unsure ones go to the model, and grounding in the source decides field by field.
Recorded real traffic for it: test_llm_hybrid_cassettes.py."""

import json

import httpx2

from jixiao.check import check
from jixiao.extract import build_extractor, doubts
from jixiao.extract.hybrid import HybridExtractor
from jixiao.extract.llm import LLMExtractor
from jixiao.extract.llm_store import Store
from jixiao.pipeline import extract_with_chunks, readings
from jixiao.models import TableData
from jixiao.settings import ModelSettings, load_settings

from test_llm_faults import GOOD, TABLE, Server, answer, error

# the rules reader takes 抽检 for the value of 指标2 and loses ≥98: EXTRACT-01, so unsure
UNSURE = TABLE.replace("产出指标 | 数量指标 | 指标1：数字化档案卷数 | ≥3000卷\n",
                       "产出指标 | 数量指标 | 指标1：数字化档案卷数 | ≥3000卷\n"
                       "产出指标 | 质量指标 | 指标2：数字化合格率 | 抽检 | ≥98%\n")
RIGHT = {"level1": "产出指标", "level2": "质量指标", "name": "数字化合格率", "value_text": "≥98%",
         "operator": "≥", "value": 98, "unit": "%"}


def hybrid(tmp_path, server, **kw):
    settings = ModelSettings(model="m", base_url="http://llm.test/v1", max_retries=0, workers=1, stream=False,
                             structured_mode="json_schema", **kw)
    llm = LLMExtractor(settings, Store(tmp_path / "jixiao.db"),
                       http_client=httpx2.Client(transport=httpx2.MockTransport(server)))
    return HybridExtractor(llm)


def write(tmp_path, text, name="t.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_auto_with_a_model_is_hybrid_and_without_one_rules(tmp_path, monkeypatch):
    monkeypatch.delenv("JIXIAO_MODEL", raising=False)
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path))
    assert load_settings(None, backend="auto").backend == "rules"
    s = load_settings(None, backend="auto", model="m", base_url="http://llm.test/v1")
    assert s.backend == "hybrid" and build_extractor(s).name == "hybrid"
    assert build_extractor(load_settings(None, backend="llm", model="m")).name == "llm"


def test_a_confident_table_makes_no_call(tmp_path):
    server = Server()  # any request would fail
    (reading,) = list(readings(write(tmp_path, TABLE), hybrid(tmp_path, server)))
    (table,) = reading.tables
    assert not doubts(table.reading) and server.requests == []
    assert table.llm is None and table.provenance.backend == "rules" and table.project_name == "档案数字化"


def test_an_unsure_table_goes_to_the_model_and_grounding_decides_each_field(tmp_path):
    path = write(tmp_path, UNSURE)
    (rules_only,) = [t for _c, t in extract_with_chunks(path)]
    assert rules_only.indicators[1].value_text == "抽检" and doubts(rules_only.reading)
    model = json.loads(json.dumps(GOOD))
    model["indicators"].insert(1, RIGHT)  # right where the rules went wrong...
    model["implementing_unit"] = "县文化馆"  # ...and wrong (not in the source) where they were right
    model["funds"]["total_all_levels"] = 1.2
    server = Server(answer(json.dumps(model, ensure_ascii=False)))
    ((chunk, table),) = list(extract_with_chunks(path, hybrid(tmp_path, server)))
    assert len(server.requests) == 1 and table.llm.status == "ok" and table.provenance.backend == "hybrid"
    assert "value(s) reaching no field: ≥98" in table.llm.routed
    assert any(n.startswith("sent to the model: the rules reading is unsure") for n in table.notes)
    # grounding: the model's value is in the source and holds what the rules lost; the rules'
    # unit and funds are in the source and the model's are not
    assert table.indicators[1].model_dump() == RIGHT
    assert table.implementing_unit == "县档案馆" and table.funds.total_all_levels == 12
    assert any(n.endswith("for: indicators[1].value_text") for n in table.notes)
    assert table.evidence["indicators[1].value_text"].line is not None
    # every disagreement stays a finding; the lost value is accounted for now: no EXTRACT-01
    fields = {d.field for d in table.llm.disagreements}
    assert {"implementing_unit", "funds.total_all_levels", "indicators[1].value_text"} <= fields
    (checked,) = check([(table, chunk, [rules_only])])
    rules = [f.rule for f in checked.findings]
    assert rules.count("DIFF-01") == len(table.llm.disagreements) and "EXTRACT-01" not in rules


def test_a_model_indicator_in_no_line_of_the_source_is_not_added(tmp_path):
    path = write(tmp_path, UNSURE)
    model = json.loads(json.dumps(GOOD))
    invented = dict(RIGHT, name="数字化档案错漏率", value_text="≤1%", operator="≤", value=1)
    model["indicators"] += [RIGHT, invented]
    server = Server(answer(json.dumps(model, ensure_ascii=False)))
    (table,) = [t for _c, t in extract_with_chunks(path, hybrid(tmp_path, server))]
    assert [i.name for i in table.indicators] == ["数字化档案卷数", "数字化合格率"]
    assert table.indicators[1].value_text == "≥98%"


def test_merge_adds_a_found_indicator_the_rules_missed_where_the_source_prints_it(tmp_path):
    from jixiao.extract.hybrid import merge
    from jixiao.ground import source_text

    path = write(tmp_path, UNSURE)
    ((chunk, rules),) = list(extract_with_chunks(path))
    missing = rules.model_copy(update={"indicators": [rules.indicators[0]]})
    model = rules.model_copy(update={"indicators": [type(rules.indicators[0])(**RIGHT), rules.indicators[0]]})
    merged, taken = merge(missing, model, source_text(chunk), lost=["≥98"])
    # the model read it first; the source prints it after 数字化档案卷数, under a level label of its own
    assert [(i.level2, i.name) for i in merged.indicators] == [("数量指标", "数字化档案卷数"), ("质量指标", "数字化合格率")]
    assert taken == ["indicators[1] (added)"]
    merged, taken = merge(rules, rules, source_text(chunk))
    assert merged == TableData.model_validate(rules.model_dump(include=set(TableData.model_fields))) and taken == []


def test_the_model_failing_keeps_the_rules_reading_with_why_it_was_sent(tmp_path):
    server = Server(error(500, "model crashed"))
    (table,) = [t for _c, t in extract_with_chunks(write(tmp_path, UNSURE), hybrid(tmp_path, server))]
    assert table.llm.status == "failed" and table.llm.routed and table.provenance.backend == "rules"
    assert table.indicators[1].value_text == "抽检" and doubts(table.reading)  # EXTRACT-01 still raised
    assert any("model failed: HTTP 500" in n for n in table.notes)


def test_only_unsure_tables_of_a_file_are_sent_in_order(tmp_path):
    two = UNSURE + "\n" + TABLE.replace("档案数字化", "档案修复") + "\n" + UNSURE.replace("档案数字化", "档案整理")
    model = json.loads(json.dumps(GOOD))
    model["indicators"].insert(1, RIGHT)
    answers = [answer(json.dumps(dict(model, project_name=p), ensure_ascii=False)) for p in ("档案数字化", "档案整理")]
    server = Server(*answers)
    tables = [t for _c, t in extract_with_chunks(write(tmp_path, two), hybrid(tmp_path, server))]
    assert [t.project_name for t in tables] == ["档案数字化", "档案修复", "档案整理"]
    assert [t.provenance.backend for t in tables] == ["hybrid", "rules", "hybrid"] and len(server.requests) == 2
    assert [t.provenance.table_index for t in tables] == [0, 1, 2]


def test_run_prints_how_many_tables_went_to_the_model_and_why(tmp_path, capsys):
    from jixiao.cli import print_usage

    model = json.loads(json.dumps(GOOD))
    model["indicators"].insert(1, RIGHT)
    path = write(tmp_path, UNSURE + "\n" + TABLE.replace("档案数字化", "档案修复"))
    server = Server(answer(json.dumps(model, ensure_ascii=False)))
    tables = [t for _c, t in extract_with_chunks(path, hybrid(tmp_path, server))]
    print_usage(tables, "hybrid")
    err = capsys.readouterr().err
    assert "hybrid: 1 of 2 table(s) sent to the model" in err and "lost values (1)" in err
    assert "model usage: 1 table(s), 1 call(s)" in err


def test_a_header_value_counts_only_after_its_own_label(tmp_path):
    """real-12: an empty 项目名称 cell, and the model copies a goal into it; that goal is in the
    source (as a goal), so only its place can tell: the rules' blank stays."""
    from jixiao.extract.hybrid import merge
    from jixiao.ground import source_text

    text = UNSURE.replace("项目名称 | 档案数字化", "项目名称 |")
    ((chunk, rules),) = list(extract_with_chunks(write(tmp_path, text)))
    assert rules.project_name is None
    model = rules.model_copy(update={"project_name": "完成馆藏档案数字化"})  # the goal
    assert merge(rules, model, source_text(chunk))[0].project_name is None
    ((chunk, rules),) = list(extract_with_chunks(write(tmp_path, UNSURE.replace("县档案馆", "县档案馆 |"))))
    model = rules.model_copy(update={"implementing_unit": None})
    assert merge(model, rules, source_text(chunk))[0].implementing_unit == "县档案馆"  # right after 实施单位


def test_a_fund_amount_counts_only_after_a_label_of_its_kind(tmp_path):
    """real-02: 年度资金总额 16, 其中:上级资金 16.  上级资金 is no 财政拨款 (the contract does not map
    it), so the model's fiscal 16 is not grounded as fiscal however often 16 is printed: the rules'
    blank stays.  Printed after 财政拨款 it is, and a blank of the rules gives way to it."""
    from jixiao.extract.hybrid import merge
    from jixiao.ground import source_text

    text = UNSURE.replace("其中：财政拨款12万", "其中：上级资金12万")
    ((chunk, rules),) = list(extract_with_chunks(write(tmp_path, text)))
    assert rules.funds.total_all_levels == 12 and rules.funds.fiscal_all_levels is None
    model = rules.model_copy(update={"funds": rules.funds.model_copy(update={"fiscal_all_levels": 12})})
    merged, taken = merge(rules, model, source_text(chunk))
    assert merged.funds.fiscal_all_levels is None and taken == []
    ((chunk, rules),) = list(extract_with_chunks(write(tmp_path, UNSURE)))
    blank = rules.model_copy(update={"funds": rules.funds.model_copy(update={"fiscal_all_levels": None})})
    merged, taken = merge(blank, rules, source_text(chunk))
    assert merged.funds.fiscal_all_levels == 12 and taken == ["funds.fiscal_all_levels"]


def test_a_goal_the_rules_placed_in_the_other_list_stays_there(tmp_path):
    """real-02: one goal cell under 总体目标 | 年度目标 is the annual goal by the gold's convention; the
    model put it (with its 。) under overall as well.  The text is held by the rules reading
    already, so the model only placed it otherwise: the rules' lists stay."""
    from jixiao.extract.hybrid import merge
    from jixiao.ground import source_text

    ((chunk, rules),) = list(extract_with_chunks(write(tmp_path, UNSURE)))
    assert rules.overall_goals == [] and rules.annual_goals == ["完成馆藏档案数字化"]
    model = rules.model_copy(update={"overall_goals": ["完成馆藏档案数字化。"]})
    merged, taken = merge(rules, model, source_text(chunk))
    assert merged.overall_goals == [] and merged.annual_goals == ["完成馆藏档案数字化"] and taken == []
    # a goal the rules reading does not hold anywhere is still taken when found in the source
    missing = rules.model_copy(update={"annual_goals": []})
    merged, taken = merge(missing, rules, source_text(chunk))
    assert merged.annual_goals == ["完成馆藏档案数字化"] and taken == ["annual_goals"]


def test_an_added_indicator_takes_its_operator_from_its_printed_value(tmp_path):
    """real-02 with a damaged vocabulary: the model adds the indicators the rules lost, but reads
    ≥ into a printed `100%`.  The operator, number and unit follow the printed value (as the
    checker re-derives them), unless the model's operator is printed between the name and the
    value (a 指标性质 column, real-11)."""
    from jixiao.extract.hybrid import merge
    from jixiao.ground import source_text

    for row, want in (("指标2：数字化合格率 | 抽检 | 98%", "="), ("指标2：数字化合格率 | ≥ | 98%", "≥")):
        text = UNSURE.replace("指标2：数字化合格率 | 抽检 | ≥98%", row)
        ((chunk, rules),) = list(extract_with_chunks(write(tmp_path, text)))
        first = rules.indicators[0]
        missing = rules.model_copy(update={"indicators": [first]})
        added = type(first)(**{**RIGHT, "value_text": "98%"})  # operator ≥, value 98, unit %
        merged, taken = merge(missing, missing.model_copy(update={"indicators": [first, added]}),
                              source_text(chunk), lost=["98"])
        assert taken == ["indicators[1] (added)"], row
        assert (merged.indicators[1].value_text, merged.indicators[1].operator, merged.indicators[1].value) == (
            "98%", want, 98), row


def test_an_added_indicator_inside_a_level_group_takes_the_group_s_levels(tmp_path):
    """A level cell spanning rows prints its label once: an indicator the model adds where no level
    label stands between it and the rules indicator before it is in that one's group, whatever
    levels the model gave it (real-03: an addition once went under the wrong level)."""
    from jixiao.extract.hybrid import merge
    from jixiao.ground import source_text

    text = UNSURE.replace("≥3000卷\n", "≥3000卷\n | | 指标2：影像扫描幅数 | ≥500幅\n", 1)
    ((chunk, rules),) = list(extract_with_chunks(write(tmp_path, text)))
    first = rules.indicators[0]
    missing = rules.model_copy(update={"indicators": [first]})
    stray = type(first)(**{**RIGHT, "name": "影像扫描幅数", "value_text": "≥500幅", "value": 500, "unit": "幅"})
    merged, taken = merge(missing, missing.model_copy(update={"indicators": [stray, first]}), source_text(chunk),
                          lost=["≥500"])
    assert [(i.level1, i.level2, i.name) for i in merged.indicators] == [
        ("产出指标", "数量指标", "数字化档案卷数"), ("产出指标", "数量指标", "影像扫描幅数")]
    assert taken == ["indicators[1] (added)"]

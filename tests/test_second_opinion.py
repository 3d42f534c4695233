"""The model's second opinion (--review-model): held to the table by the guard, cached and logged like
extraction calls, and fail-closed on faults.  Faults and answers are served by an httpx2 MockTransport
(built here, not recordings)."""

import json

import httpx2
import pytest

from conftest import FIXTURES
from jixiao.check import check
from jixiao.extract.llm_store import Store
from jixiao.pipeline import extract_with_chunks
from jixiao.second_opinion import ModelFinding, add_second_opinion, guard
from jixiao.settings import ModelSettings

from test_llm_faults import Server, answer, error


@pytest.fixture(scope="module")
def seed_tables():
    return [(t, c, None) for c, t in extract_with_chunks(FIXTURES / "seed-tables.txt")]


def _checked(seed_tables, n=2):
    return check(seed_tables[:n])


def F(kind, indicator=None, goal=None, quote="", reason="与项目无关", wrong=None, right=None):
    return {"kind": kind, "indicator": indicator, "goal": goal, "quote": quote, "reason": reason,
            "wrong": wrong, "right": right}


def reply(*findings):
    return answer(json.dumps({"findings": list(findings)}, ensure_ascii=False))


def _ask(tmp_path, checked, server, **kw):
    settings = ModelSettings(model="m", base_url="http://llm.test/v1", api_key="k", max_retries=0, workers=1,
                             structured_mode="json_schema", **kw)
    store = Store(tmp_path / "jixiao.db")
    client = httpx2.Client(transport=httpx2.MockTransport(server))
    return add_second_opinion(checked, settings, store, http_client=client), store


# table 1 财政核定做实职业年金: a held finding, and one that invents a number
HELD = F("unrelated_indicator", indicator="社会福利保障程度", quote="社会福利保障程度",
         reason="“社会福利保障程度”与做实职业年金缴纳关联不明显")
INVENTED = F("restates_goal", indicator="做实职业年金缴纳人数", goal="做实职业年金", quote="做实职业年金缴纳人数",
             reason="编制内实有人数为35人，指标值与之不符")
# table 2 网评工作经费: the goal's typo 打的赢
TYPO = F("wrong_characters", goal=None, quote="打的赢", reason="“打的赢”应为“打得赢”", wrong="打的赢", right="打得赢")


def test_guard_drops_a_finding_that_invents_a_number(seed_tables, tmp_path):
    checked = _checked(seed_tables, 1)
    server = Server(reply(HELD, INVENTED))
    stats, _store = _ask(tmp_path, checked, server)
    ai = [f for f in checked[0].findings if f.rule.startswith("AI-")]
    assert [(f.rule, f.indicator, f.drafted_by) for f in ai] == [("AI-01", "社会福利保障程度", "model")]
    assert stats.proposed == 2 and stats.kept == 1 and stats.dropped == ["number not in the table: 35"]
    assert checked[0].outcomes["AI-01"]["outcome"] == "failed" and checked[0].outcomes["AI-03"]["outcome"] == "passed"
    # the model's table text went in the user message, with the schema as response_format
    body = server.requests[0]["body"]
    assert "社会福利保障程度" in body["messages"][1]["content"] and body["response_format"]["type"] == "json_schema"


@pytest.mark.parametrize("bad, why", [
    (F("unrelated_indicator", indicator="网评员满意度", quote="网评员满意度"), "indicator not in the table"),
    (F("slogan_goal", goal="深入人心入心入脑", quote="深入人心"), "goal not in the table"),
    (F("unrelated_indicator", indicator="社会福利保障程度", quote="保障全县职工福利"), "quotation not in the table"),
    (F("unrelated_indicator", indicator="社会福利保障程度", quote="社会福利保障程度", reason="与“养老保险”无关"),
     "quotation not in the table"),
    (F("wrong_characters", indicator="社会福利保障程度", quote="社会福利保障程度", wrong="保障", right="保障"),
     "wrong characters without a correction"),
])
def test_guard_holds_every_citation_to_the_table(seed_tables, bad, why):
    table = seed_tables[0][0]
    assert guard(ModelFinding.model_validate(bad), table).startswith(why)
    assert guard(ModelFinding.model_validate(HELD), table) is None


def test_a_typo_in_a_goal_is_kept_and_the_answer_is_cached_and_logged(seed_tables, tmp_path):
    checked = _checked(seed_tables)
    server = Server(reply(), reply(TYPO))
    stats, store = _ask(tmp_path, checked, server)
    assert stats.kept == 1 and stats.calls == 2
    (typo,) = [f for f in checked[1].findings if f.rule == "AI-04"]
    assert "“打的赢”疑为错别字（应为“打得赢”）" in typo.message and typo.drafted_by == "model"
    assert len(store.calls(10, "review")) == 2  # logged like extraction calls
    again = _checked(seed_tables)
    stats, _ = _ask(tmp_path, again, Server())  # no response left: every answer must come from the cache
    assert stats.cache_hits == 2 and stats.calls == 0 and stats.kept == 1


def test_a_failing_model_leaves_the_rules_findings_and_says_why(seed_tables, tmp_path):
    checked = _checked(seed_tables, 1)
    before = [f.rule for f in checked[0].findings]
    stats, _ = _ask(tmp_path, checked, Server(error(500, "internal error")))
    assert stats.failed == 1 and [f.rule for f in checked[0].findings] == before
    out = checked[0].outcomes["AI-01"]
    assert out["outcome"] == "could_not_check" and out["reasons"][0].startswith("模型未答复：HTTP 500")


def test_an_invalid_answer_is_asked_again(seed_tables, tmp_path):
    checked = _checked(seed_tables, 1)
    server = Server(answer(json.dumps({"findings": [{"kind": "other"}]})), reply(HELD))
    stats, _ = _ask(tmp_path, checked, server)
    assert stats.kept == 1 and len(server.requests) == 2
    assert "上面的 JSON 未通过校验" in server.requests[1]["body"]["messages"][-1]["content"]


def test_review_model_option_fails_closed_when_the_endpoint_is_down(tmp_path):
    import subprocess
    import sys

    config = tmp_path / "c.toml"
    config.write_text("[llm]\nbase_url = \"http://127.0.0.1:9/v1\"\nmax_retries = 0\nconnect_timeout = 2\n"
                      f"cache_dir = \"{tmp_path}\"\n", encoding="utf-8")
    out = tmp_path / "o"
    r = subprocess.run([sys.executable, "-m", "jixiao.cli", "run", str(FIXTURES / "seed-tables.txt"), "-o", str(out),
                        "--config", str(config), "--review-model", "m", "--no-images"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "review model: 7 table(s), 0 finding(s) proposed, 0 kept, 0 dropped by the guard, 7 failed" in r.stderr
    data = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert len(data["findings"]) == 45
    assert all(t["rules"]["AI-01"]["outcome"] == "could_not_check" for t in data["tables"])

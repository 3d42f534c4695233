"""Fault injection for the model backend: wire faults a real server cannot be made to produce on
demand (429 with Retry-After, 500, timeouts, refusals, blank answers, cut answers, tool calls
ignored), served by an httpx2 MockTransport.  These are not recordings: the answers are built here.
Answers come whole here (stream=False); streamed answers and the runaway guard: test_llm_stream.py."""

import json

import httpx2
import pytest

from jixiao.extract.llm import LLMExtractor

from jixiao.settings import ModelSettings as Settings
from jixiao.extract.llm_store import Store
from jixiao.pipeline import extract_file

GOOD = {
    "title": "2024年项目支出绩效目标表", "year": 2024, "project_name": "档案数字化", "competent_department": "县档案局",
    "implementing_unit": "县档案馆", "project_attribute": None, "project_period": None,
    "funds": {"total_all_levels": 12, "fiscal_all_levels": 12, "other_all_levels": None,
              "total_own_level": None, "fiscal_own_level": None, "other_own_level": None},
    "overall_goals": [], "annual_goals": ["完成馆藏档案数字化"],
    "indicators": [{"level1": "产出指标", "level2": "数量指标", "name": "数字化档案卷数", "value_text": "≥3000卷",
                    "operator": "≥", "value": 3000, "unit": "卷"}],
}
TABLE = """2024年项目支出绩效目标表
项目名称 | 档案数字化
主管部门 | 县档案局 | 实施单位 | 县档案馆
项目资金（万元） | 年度资金总额：12万 | 其中：财政拨款12万
年度目标 | 目标1：完成馆藏档案数字化
一级指标 | 二级指标 | 三级指标 | 指标值
产出指标 | 数量指标 | 指标1：数字化档案卷数 | ≥3000卷
"""
SECRET = "sk-test-SECRET-0123456789abcdef"


def answer(content=None, finish="stop", refusal=None, tool_args=None, status=200, headers=None):
    message = {"role": "assistant", "content": content, "refusal": refusal}
    if tool_args is not None:
        message["tool_calls"] = [{"id": "c1", "type": "function",
                                  "function": {"name": "record_table", "arguments": tool_args}}]
    body = {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}}
    return httpx2.Response(status, json=body, headers=headers or {})


def error(status, message, headers=None):
    return httpx2.Response(status, json={"error": {"message": message, "type": "invalid_request_error"}},
                           headers=headers or {})


class Server:
    """A scripted endpoint: each request gets the next response (or raises the next exception)."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests: list[dict] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append({"headers": dict(request.headers), "body": json.loads(request.content)})
        r = self.responses.pop(0)
        if isinstance(r, Exception):
            raise r
        return r


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text(TABLE, encoding="utf-8")
    return path


def run(tmp_path, src, server, **kw):
    kw.setdefault("stream", False)  # whole answers; streamed ones are in test_llm_stream.py
    settings = Settings(model="m", base_url="http://llm.test/v1", api_key=SECRET, max_retries=kw.pop("max_retries", 0),
                        workers=1, **kw)
    store = Store(tmp_path / "jixiao.db")
    llm = LLMExtractor(settings, store, http_client=httpx2.Client(transport=httpx2.MockTransport(server)))
    (table,) = list(extract_file(src, llm))
    return table, store


def test_valid_first_answer(tmp_path, src):
    server = Server(answer(json.dumps(GOOD, ensure_ascii=False)))
    table, store = run(tmp_path, src, server)
    assert table.llm.status == "ok" and table.llm.calls == 1 and table.project_name == "档案数字化"
    assert server.requests[0]["body"]["temperature"] == 0 and server.requests[0]["body"]["seed"] == 0
    assert table.llm.disagreements == []  # the rules reading of this chunk is the same


def test_rate_limited_then_answered_through_the_sdk_retries(tmp_path, src):
    server = Server(error(429, "slow down", {"retry-after": "0"}), answer(json.dumps(GOOD, ensure_ascii=False)))
    table, _ = run(tmp_path, src, server, max_retries=2)
    assert table.llm.status == "ok"
    assert len(server.requests) == 2 and table.llm.calls == 1  # the SDK retried; no loop of ours on top


def test_rate_limited_for_good_fails_the_table_with_a_clear_reason(tmp_path, src):
    server = Server(error(429, "slow down", {"retry-after": "0"}))
    table, _ = run(tmp_path, src, server)
    assert table.llm.status == "failed" and "rate limited (HTTP 429)" in table.llm.errors[-1]
    assert table.provenance.backend == "rules" and table.project_name == "档案数字化"  # rules result kept


def test_server_error_fails_the_table(tmp_path, src):
    table, _ = run(tmp_path, src, Server(error(500, "model crashed")))
    assert table.llm.status == "failed" and table.llm.errors[-1] == "HTTP 500: model crashed"


def test_timeout(tmp_path, src):
    table, _ = run(tmp_path, src, Server(httpx2.ReadTimeout("read timed out")), timeout=5)
    assert table.llm.status == "failed" and table.llm.errors[-1] == "no answer within 5 s"


def test_refusal(tmp_path, src):
    table, _ = run(tmp_path, src, Server(answer(None, refusal="I can't help with that.")))
    assert table.llm.status == "failed" and "the model refused" in table.llm.errors[-1]


def test_blank_answer_is_asked_once_more(tmp_path, src):
    server = Server(answer("  \n"), answer(json.dumps(GOOD, ensure_ascii=False)))
    table, _ = run(tmp_path, src, server)
    assert table.llm.status == "ok" and table.llm.attempts == 2


def test_blank_twice_fails(tmp_path, src):
    table, _ = run(tmp_path, src, Server(answer(""), answer(" ")))
    assert table.llm.status == "failed" and table.llm.errors[-1] == "blank answer twice"


def test_cut_answer_raises_max_tokens_once(tmp_path, src):
    server = Server(answer('{"title": "2024', finish="length"), answer(json.dumps(GOOD, ensure_ascii=False)))
    table, _ = run(tmp_path, src, server, max_tokens=1000)
    assert table.llm.status == "ok"
    assert [r["body"]["max_tokens"] for r in server.requests] == [1000, 2000]


def test_cut_twice_fails_clearly(tmp_path, src):
    server = Server(answer("{", finish="length"), answer("{", finish="length"))
    table, _ = run(tmp_path, src, server, max_tokens=1000)
    assert "cut off at max_tokens=2000" in table.llm.errors[-1]


def test_content_filter(tmp_path, src):
    table, _ = run(tmp_path, src, Server(answer(None, finish="content_filter")))
    assert "content filter" in table.llm.errors[-1]


def test_invalid_answer_is_reasked_with_the_errors(tmp_path, src):
    bad = dict(GOOD, indicators=[dict(GOOD["indicators"][0], level1="产出")])
    server = Server(answer(json.dumps(bad, ensure_ascii=False)), answer(json.dumps(GOOD, ensure_ascii=False)))
    table, _ = run(tmp_path, src, server)
    assert table.llm.status == "ok" and table.llm.attempts == 2
    reask = server.requests[1]["body"]["messages"]
    assert reask[-2]["role"] == "assistant" and "indicators.0.level1" in reask[-1]["content"]
    assert table.llm.prompt_tokens == 200 and table.llm.completion_tokens == 100  # both attempts counted


def test_invalid_after_all_reasks_is_failed_and_never_cached(tmp_path, src):
    server = Server(answer("not json at all"), answer("still not json"), answer("nor is this"))
    table, store = run(tmp_path, src, server, max_reasks=2)
    assert table.llm.status == "failed" and table.llm.attempts == 3
    assert "after 2 re-ask(s)" in table.llm.errors[-1]
    assert store.db.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 0


@pytest.mark.parametrize("temperature, calls", [(0.0, 2), (0.7, 3)])
def test_a_repeated_invalid_answer_is_not_asked_again_at_temperature_0(tmp_path, src, temperature, calls):
    """At temperature 0 a second re-ask would send the first re-ask's very request again (the
    same answer, the same errors): the table fails after the repeat instead of paying for it.  At
    a higher temperature the same request may get another answer, so every re-ask is made."""
    server = Server(*[answer("not json at all")] * 3)
    table, _ = run(tmp_path, src, server, max_reasks=2, temperature=temperature)
    assert table.llm.status == "failed" and table.llm.attempts == calls == len(server.requests)
    assert ("the same as the one before it" in table.llm.errors[-1]) == (temperature == 0)


def test_step_down_ladder_on_wire_rejections(tmp_path, src):
    server = Server(
        error(400, "response_format json_schema is not supported by this model"),
        answer("I will call no tool"),  # tools ignored
        answer("```json\n" + json.dumps(GOOD, ensure_ascii=False) + "\n```"),  # json_object works
    )
    table, store = run(tmp_path, src, server)
    assert table.llm.status == "ok" and table.llm.structured_mode == "json_object"
    kinds = [r["body"].get("response_format", {}).get("type") or ("tools" if "tools" in r["body"] else None)
             for r in server.requests]
    assert kinds == ["json_schema", "tools", "json_object"]
    third = server.requests[2]["body"]
    assert "JSON" in third["messages"][0]["content"]  # DeepSeek and DashScope need the word
    assert store.mode_for("http://llm.test/v1", "m") == "json_object"  # remembered: the next table starts there


def test_tool_call_answer(tmp_path, src):
    server = Server(error(400, "unknown parameter: response_format.json_schema"),
                    answer(None, tool_args=json.dumps(GOOD, ensure_ascii=False)))
    table, _ = run(tmp_path, src, server)
    assert table.llm.structured_mode == "tools" and table.llm.status == "ok"
    assert server.requests[1]["body"]["tool_choice"]["function"]["name"] == "record_table"


def test_validation_failure_never_steps_down(tmp_path, src):
    server = Server(*[answer('{"title": 1}')] * 3)
    table, store = run(tmp_path, src, server)
    assert {r["body"]["response_format"]["type"] for r in server.requests} == {"json_schema"}


def test_forced_structured_mode(tmp_path, src):
    server = Server(answer("思考中<think>…</think>结果：" + json.dumps(GOOD, ensure_ascii=False)))
    table, _ = run(tmp_path, src, server, structured_mode="prompt")
    assert table.llm.status == "ok" and "response_format" not in server.requests[0]["body"]


def test_the_key_never_reaches_the_log_cache_or_output(tmp_path, src):
    server = Server(answer(json.dumps(GOOD, ensure_ascii=False)))
    table, store = run(tmp_path, src, server)
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {SECRET}"  # it was sent...
    store.close()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path  # ...and written nowhere
    assert SECRET not in table.model_dump_json()


def test_one_table_failing_does_not_stop_the_others(tmp_path):
    path = tmp_path / "two.txt"
    path.write_text(TABLE + "\n" + TABLE.replace("档案数字化", "档案修复"), encoding="utf-8")
    server = Server(error(500, "boom"), answer(json.dumps(dict(GOOD, project_name="档案修复"), ensure_ascii=False)))
    settings = Settings(model="m", base_url="http://llm.test/v1", max_retries=0, workers=1, structured_mode="json_schema",
                        stream=False)
    llm = LLMExtractor(settings, Store(tmp_path / "db.sqlite"),
                       http_client=httpx2.Client(transport=httpx2.MockTransport(server)))
    tables = list(extract_file(path, llm))
    assert [t.llm.status for t in tables] == ["failed", "ok"]
    assert [t.project_name for t in tables] == ["档案数字化", "档案修复"]

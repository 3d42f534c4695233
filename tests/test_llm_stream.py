"""Streamed answers and the runaway guard of the model backend, on an httpx2 MockTransport that plays
server-sent events (not recordings: the streams are built here).

A small model under a JSON grammar can loop (on whitespace, or on one indicator) until max_tokens
runs out; with a 4,096-token budget doubled once that cost eight minutes a table on this machine.
Now the budget is sized from the table, and a streamed answer is stopped when its tail repeats."""

import json
from pathlib import Path

import httpx2
import pytest

from jixiao.extract.llm import TOKENS_FLOOR, LLMExtractor, budget, repeating_tail
from jixiao.extract.llm_store import Store
from jixiao.pipeline import extract_file
from jixiao.settings import ModelSettings as Settings

from test_llm_faults import GOOD, TABLE

REAL = Path(__file__).parent / "data" / "real"


def event(content=None, finish=None, usage=None) -> bytes:
    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
             "choices": [] if usage else [{"index": 0, "delta": {"content": content} if content is not None else {},
                                           "finish_reason": finish}]}
    if usage:
        chunk["usage"] = usage
    return b"data: " + json.dumps(chunk, ensure_ascii=False).encode() + b"\n\n"


class StreamServer:
    """Each request gets the next scripted stream: an iterable of SSE events."""

    def __init__(self, *streams):
        self.streams = list(streams)
        self.requests: list[dict] = []
        self.sent = 0  # events the client pulled, over all streams

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(json.loads(request.content))
        events = self.streams.pop(0)

        def play():
            for e in events:
                self.sent += 1
                yield e
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=play())


def whole(text: str, size: int = 7, finish="stop", usage=True):
    pieces = [text[i:i + size] for i in range(0, len(text), size)]
    out = [event(p) for p in pieces] + [event(finish=finish)]
    if usage:
        out.append(event(usage={"prompt_tokens": 900, "completion_tokens": len(pieces), "total_tokens": 900 + len(pieces)}))
    return out + [b"data: [DONE]\n\n"]


def endless(prefix: str, unit: str):
    """A stream that never ends on its own: the prefix, then the unit again and again."""
    yield event(prefix)
    while True:
        yield event(unit)


def run(tmp_path, server, **kw):
    src = tmp_path / "t.txt"
    src.write_text(TABLE, encoding="utf-8")
    settings = Settings(model="m", base_url="http://llm.test/v1", max_retries=0, workers=1,
                        structured_mode=kw.pop("structured_mode", "json_schema"), **kw)
    llm = LLMExtractor(settings, Store(tmp_path / "jixiao.db"),
                       http_client=httpx2.Client(transport=httpx2.MockTransport(server)))
    (table,) = list(extract_file(src, llm))
    return table


def test_a_streamed_answer_is_read_whole_with_its_usage(tmp_path):
    server = StreamServer(whole(json.dumps(GOOD, ensure_ascii=False)))
    table = run(tmp_path, server)
    assert table.llm.status == "ok" and table.llm.calls == 1 and table.project_name == "档案数字化"
    assert table.llm.prompt_tokens == 900 and table.llm.completion_tokens > 0
    (req,) = server.requests
    assert req["stream"] is True and req["stream_options"] == {"include_usage": True}
    assert req["response_format"]["type"] == "json_schema" and req["response_format"]["json_schema"]["strict"]
    assert req["max_tokens"] == budget(TABLE)  # sized from the table, not the fixed 4,096


@pytest.mark.parametrize("unit", ["\n", " ", '{"level1": "产出指标", "level2": "数量指标", "name": "数字化档案卷数", '
                                              '"value_text": "≥3000卷", "operator": "≥", "value": 3000, "unit": "卷"}, '])
def test_a_repeating_stream_is_stopped_early_and_not_asked_again(tmp_path, unit):
    start = json.dumps(GOOD, ensure_ascii=False)[:-2]  # an answer well under way...
    server = StreamServer(endless(start, unit))  # ...then the same unit for ever
    table = run(tmp_path, server)
    assert table.llm.status == "failed" and table.llm.calls == 1  # no re-ask, no longer budget
    assert "started repeating itself" in table.llm.errors[-1]
    # stopped within a few copies of the unit, far from the budget (a token a delta here)
    assert server.sent < 3 * max(240, 3 * len(unit)) // len(unit) + 30
    assert table.provenance.backend == "rules" and table.project_name == "档案数字化"  # the rules reading stays


def test_a_cut_answer_is_raised_once_to_the_ceiling(tmp_path):
    server = StreamServer(whole('{"title": "2024', finish="length"), whole(json.dumps(GOOD, ensure_ascii=False)))
    table = run(tmp_path, server, max_tokens_ceiling=3000)
    assert table.llm.status == "ok" and table.llm.attempts == 2
    assert [r["max_tokens"] for r in server.requests] == [budget(TABLE, 3000), 3000]


def test_cut_at_the_ceiling_fails_without_asking_more(tmp_path):
    server = StreamServer(whole("{", finish="length"))
    table = run(tmp_path, server, max_tokens_ceiling=TOKENS_FLOOR)
    assert table.llm.status == "failed" and table.llm.calls == 1
    assert f"cut off at max_tokens={TOKENS_FLOOR} at the ceiling" in table.llm.errors[-1]


def test_a_stream_without_usage_counts_its_deltas(tmp_path):
    text = json.dumps(GOOD, ensure_ascii=False)
    table = run(tmp_path, StreamServer(whole(text, usage=False)))
    assert table.llm.status == "ok" and table.llm.completion_tokens == -(-len(text) // 7)


def test_json_object_mode_streams_too(tmp_path):
    server = StreamServer(whole("```json\n" + json.dumps(GOOD, ensure_ascii=False) + "\n```"))
    table = run(tmp_path, server, structured_mode="json_object")
    assert table.llm.status == "ok" and server.requests[0]["response_format"] == {"type": "json_object"}


def test_budget_is_sized_from_the_text_between_floor_and_ceiling():
    assert budget("表") == TOKENS_FLOOR
    assert budget("表" * 100_000) == 4096 and budget("表" * 100_000, 8192) == 8192
    assert budget("表" * 800) == budget("表 " * 800 + "\n" * 50)  # whitespace does not count
    assert TOKENS_FLOOR < budget("表" * 800) < 4096


def test_repeating_tail():
    assert repeating_tail("x" + " " * 240) == 1
    assert repeating_tail("x" + " " * 200) is None  # too short to say
    unit = '{"name": "数字化档案卷数", "value_text": "≥3000卷"}, '  # 45 characters
    assert repeating_tail("[" + unit * 6) == len(unit)
    assert repeating_tail("[" + unit * 5) is None  # 225 characters: too short to say
    long = unit * 2 + '{"name": "档案利用者满意度", "value_text": "≥95%"}, '
    assert repeating_tail("[" + long * 3) == len(long)
    assert repeating_tail("[" + long * 2) is None  # two copies: a table may hold two alike rows


def test_no_gold_answer_of_the_real_corpus_looks_like_a_runaway():
    """Every prefix of every real table's gold answer, as the model would stream it: never stopped."""
    for gold in sorted(REAL.glob("real-*.gold.json")):
        for table in json.loads(gold.read_text(encoding="utf-8")):
            for text in (json.dumps(table, ensure_ascii=False), json.dumps(table, ensure_ascii=False, indent=2)):
                for end in range(8, len(text) + 1, 8):
                    assert repeating_tail(text[:end]) is None, (gold.name, text[end - 80:end])


def test_a_server_that_ignores_stream_is_read_whole(tmp_path):
    from test_llm_faults import Server, answer

    server = Server(answer(json.dumps(GOOD, ensure_ascii=False)))  # application/json, not events
    table = run(tmp_path, server)
    assert table.llm.status == "ok" and table.llm.completion_tokens == 50
    assert server.requests[0]["body"]["stream"] is True

"""The model backend on recorded real traffic: llama.cpp's llama-server (strict json_schema) and
llama-cpp-python's server (rejects json_schema with HTTP 500), both running Qwen2.5-Coder-1.5B on
this machine.  Re-record with scripts/record_cassettes.sh; never edit a cassette by hand.

The model is small: on seed table 1 it breaks the operator/value rule and is re-asked (a real
re-ask, recorded); on seed table 6 its first answer is valid.  The scanned page goes through OCR
first (deterministic), so its request body, and so the cassette, match on replay."""

import json

import pytest

from conftest import FIXTURES
from jixiao.extract.llm import LLMExtractor
from jixiao.settings import ModelSettings as Settings
from jixiao.extract.llm_store import Store
from jixiao.pipeline import extract_file

LLAMA_SERVER = "http://127.0.0.1:8765/v1"  # scripts/local-llm-server.sh start
LLAMA_CPP_PYTHON = "http://127.0.0.1:8766/v1"  # python -m llama_cpp.server (scripts/record_cassettes.sh)
MODEL = "qwen2.5-coder-1.5b"


def _seed_table(tmp_path, n: int):
    path = tmp_path / f"table{n}.txt"
    path.write_text((FIXTURES / "seed-tables.txt").read_text(encoding="utf-8").split("\n\n\n\n")[n - 1],
                    encoding="utf-8")
    return path


def _llm(tmp_path, base_url=LLAMA_SERVER, **kw):
    store = Store(tmp_path / "jixiao.db")
    # a long timeout: these servers run on 2 CPU cores while recording (replays are instant)
    # recorded before answers were streamed and sized from the table: a fixed budget, whole answers
    kw = {"max_tokens": 4096, "stream": False, **kw}
    settings = Settings(model=MODEL, base_url=base_url, max_retries=0, workers=1, timeout=1200, **kw)
    return LLMExtractor(settings, store), store


def _requests(store):
    return [json.loads(c["request"]) for c in reversed(store.calls())]


@pytest.mark.vcr
def test_seed_table_end_to_end_on_json_schema(tmp_path, vcr):
    """Table 1: answers that fit the schema but break a rule it cannot state are re-asked, then
    the table is marked failed with its reasons and the rules reading stays available.  The model
    answers the re-ask with its first answer word for word, so it is not re-asked a second time:
    at temperature 0 that request would be the first re-ask's own (the recording, made when it was
    sent, shows it was, and that it got the same answer again)."""
    llm, store = _llm(tmp_path)
    (table,) = list(extract_file(_seed_table(tmp_path, 1), llm))
    info = table.llm
    assert info.structured_mode == "json_schema"
    assert info.attempts == info.calls == len(store.calls()) == 2  # first answer + 1 re-ask
    assert [e.split(":")[0] for e in info.errors[:1]] == ["re-asked"]
    assert info.status == "failed" and "the last answer the same as the one before it" in info.errors[-1]
    recorded = [(json.loads(r.body), json.loads(a["body"]["string"])["choices"][0]["message"]["content"])
                for r, a in zip(vcr.requests, vcr.responses)]
    assert len(recorded) == 3 and recorded[2] == recorded[1]  # the call saved: same request, same answer
    assert table.provenance.backend == "rules" and table.project_name == "财政核定做实职业年金"
    requests = _requests(store)
    assert all(r["response_format"]["type"] == "json_schema" for r in requests)
    assert all(r["response_format"]["json_schema"]["strict"] for r in requests)
    reask = requests[1]["messages"][-1]["content"]
    assert "未通过校验" in reask and "indicators." in reask
    assert "财政核定" not in reask  # field paths and messages only: no input echoed back
    assert info.prompt_tokens == sum(c["prompt_tokens"] for c in store.calls())  # counted over attempts
    assert info.completion_tokens == sum(c["completion_tokens"] for c in store.calls())


@pytest.mark.vcr
def test_valid_table_then_a_second_run_from_the_cache_with_no_http(tmp_path, vcr):
    llm, store = _llm(tmp_path)
    path = _seed_table(tmp_path, 6)
    (first,) = list(extract_file(path, llm))
    info = first.llm
    assert (info.status, info.structured_mode, info.calls, info.attempts) == ("ok", "json_schema", 1, 1)
    assert first.provenance.backend == "llm" and first.project_name
    assert store.mode_for(LLAMA_SERVER, MODEL) == "json_schema"  # probed once, remembered
    assert first.evidence["project_name"].line is not None  # the model's values are grounded in the source
    # the rules extractor read the same chunk: every field where the two differ is listed
    assert all(d.field and d.llm != d.rules for d in info.disagreements)
    played = vcr.play_count
    again, _ = _llm(tmp_path)  # a new run over the same store
    (second,) = list(extract_file(path, again))
    assert vcr.play_count == played and len(store.calls()) == 1  # no HTTP at all
    assert second.llm.cache_hit and second.llm.calls == 0
    assert second.model_dump(exclude={"llm"}) == first.model_dump(exclude={"llm"})


@pytest.mark.vcr
def test_step_down_when_the_server_rejects_json_schema(tmp_path):
    llm, store = _llm(tmp_path, base_url=LLAMA_CPP_PYTHON)
    (table,) = list(extract_file(_seed_table(tmp_path, 6), llm))
    info = table.llm
    assert not any("no answer within" in e or "cannot reach" in e for e in info.errors)  # a real answer
    assert info.errors[0].startswith("json_schema rejected by the server: HTTP 500")
    modes = [c["mode"] for c in reversed(store.calls())]
    assert modes[0] == "json_schema" and info.structured_mode in ("tools", "json_object", "prompt")
    assert modes[-1] == info.structured_mode
    if info.status == "ok":
        assert store.mode_for(LLAMA_CPP_PYTHON, MODEL) == info.structured_mode  # remembered for the next tables
    if info.structured_mode == "json_object":
        request = _requests(store)[-1]
        assert request["response_format"] == {"type": "json_object"}
        assert "JSON Schema" in request["messages"][0]["content"]  # the schema and the word JSON in the prompt


@pytest.mark.vcr
def test_a_scanned_page_goes_to_the_model_as_ocr_text(tmp_path):
    """A scan: RapidOCR's reading is chunked and sent like any other text, and whatever the model
    returns is grounded in the OCR lines, with the confidence of the characters it stands on."""
    llm, store = _llm(tmp_path)
    (table,) = list(extract_file(FIXTURES / "seed-tables-scan-p1.png", llm))
    (request,) = _requests(store)[:1]
    sent = request["messages"][-1]["content"]
    assert "财政核定做实职业年金" in sent and "指标1" in sent  # the OCR'd table text
    assert any("read by OCR (rapidocr)" in n for n in table.notes)
    assert table.llm.status == "ok" and table.llm.calls == len(store.calls()) == 1
    grounded = [e for e in table.evidence.values() if e.page == 1 and e.bbox is not None]
    assert grounded and all(e.confidence is not None for e in grounded)
    # the small model left the 含本级 funds out: the rules reading of the same OCR text disagrees
    assert table.funds.total_own_level is None
    assert {"funds.total_own_level", "funds.fiscal_own_level"} <= {d.field for d in table.llm.disagreements}

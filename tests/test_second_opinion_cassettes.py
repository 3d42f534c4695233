"""The review model's second opinion on recorded real traffic: llama.cpp's llama-server (strict
json_schema) running Qwen2.5-Coder-1.5B on this machine, asked about seed table 2.  Re-record with
`scripts/local-llm-server.sh start` then
`pytest tests/test_second_opinion_cassettes.py --record-mode=rewrite --allowed-hosts=127.0.0.1`;
never edit a cassette by hand.  The model is small: what it proposes is whatever it proposed when
recorded; the test holds what the code does with it (the guard, the marks, the cache)."""

import pytest

from conftest import FIXTURES
from jixiao.check import check
from jixiao.extract.llm_store import Store
from jixiao.pipeline import extract_with_chunks
from jixiao.second_opinion import AI_RULES, ModelFinding, add_second_opinion, guard
from jixiao.settings import ModelSettings

LLAMA_SERVER = "http://127.0.0.1:8765/v1"  # scripts/local-llm-server.sh start
MODEL = "qwen2.5-coder-1.5b"


def _checked(tmp_path):
    path = tmp_path / "table2.txt"
    path.write_text((FIXTURES / "seed-tables.txt").read_text(encoding="utf-8").split("\n\n\n\n")[1], encoding="utf-8")
    return check([(t, c, None) for c, t in extract_with_chunks(path)])


def _ask(tmp_path, checked):
    # recorded before answers were streamed and sized from the table: the request as it was then
    settings = ModelSettings(model=MODEL, base_url=LLAMA_SERVER, max_retries=0, workers=1, timeout=1200,
                             structured_mode="json_schema", max_tokens=4096, stream=False)
    store = Store(tmp_path / "jixiao.db")
    return add_second_opinion(checked, settings, store), store


@pytest.mark.vcr
def test_second_opinion_on_a_seed_table_is_held_to_the_table(tmp_path, vcr):
    checked = _checked(tmp_path)
    rules_findings = [f for f in checked[0].findings]
    stats, store = _ask(tmp_path, checked)
    assert stats.tables == 1 and stats.failed == 0 and stats.calls >= 1
    assert stats.proposed == stats.kept + len(stats.dropped)
    ai = [f for f in checked[0].findings if f.rule.startswith("AI-")]
    assert len(ai) == stats.kept and all(f.drafted_by == "model" for f in ai)
    assert checked[0].findings[:len(rules_findings)] == rules_findings  # the rules' findings untouched
    assert all(checked[0].outcomes[r]["outcome"] in ("passed", "failed") for r in AI_RULES)
    # what the model answered, as logged: every kept finding passes the guard, every dropped one fails it
    import json

    (call,) = [c for c in store.calls() if c["response"]][-1:]
    answer = json.loads(json.loads(call["response"])["choices"][0]["message"]["content"])
    verdicts = [guard(ModelFinding.model_validate(a), checked[0].table) for a in answer["findings"]]
    assert sum(v is None for v in verdicts) >= stats.kept and sum(v is not None for v in verdicts) == len(stats.dropped)
    # as recorded: the 1.5B model cited the row label “年度目标” as the indicator of all four of its findings,
    # and the guard dropped every one
    assert (stats.proposed, stats.kept) == (4, 0)
    assert stats.dropped == ["indicator not in the table: 年度目标"] * 4
    # a second run is served from the cache: no HTTP at all
    played = vcr.play_count
    again = _checked(tmp_path)
    stats2, _ = _ask(tmp_path, again)
    assert vcr.play_count == played and stats2.calls == 0 and stats2.cache_hits == 1 and stats2.kept == stats.kept

"""--rpm, --tpm and the server's rate-limit headers: on a fake clock, and through the model backend
against an httpx2 MockTransport that sends the headers OpenAI sends."""

import json

import httpx2
import pytest

from jixiao.extract.llm import LLMExtractor
from jixiao.extract.llm_store import Store
from jixiao.extract.pacing import Limiter, estimate_tokens, parse_duration, retry_after
from jixiao.pipeline import extract_file
from jixiao.settings import ModelSettings

from test_llm_faults import GOOD, TABLE, answer, error


class Clock:
    def __init__(self):
        self.t = 1000.0
        self.slept: list[float] = []

    def __call__(self):
        return self.t

    def sleep(self, d):
        self.slept.append(round(d, 3))
        self.t += d


def limiter(**kw):
    c = Clock()
    return Limiter(clock=c, sleep=c.sleep, **kw), c


@pytest.mark.parametrize("text,seconds", [("1s", 1), ("6m0s", 360), ("20ms", 0.02), ("1h2m3.5s", 3723.5),
                                          ("2", 2), ("0.5", 0.5), ("soon", None), ("", None), (None, None)])
def test_durations_as_openai_writes_them(text, seconds):
    assert parse_duration(text) == seconds


def test_retry_after_in_seconds_milliseconds_or_a_date():
    assert retry_after({"retry-after": "3"}) == 3
    assert retry_after({"retry-after-ms": "250", "retry-after": "3"}) == 0.25
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0  # in the past
    assert retry_after({}) is None


def test_rpm_spaces_requests():
    lim, c = limiter(rpm=30)
    for _ in range(3):
        lim.wait(10)
    assert c.slept == [2.0, 2.0]


def test_tpm_counts_the_last_minute_and_corrects_estimates_to_usage():
    lim, c = limiter(tpm=1000)
    first = lim.wait(600)
    lim.wait(300)  # 900 in the window: fits
    assert c.slept == []
    lim.wait(300)  # 1,200 would not: waits until the first leaves the window
    assert c.slept == [60.0]
    lim2, c2 = limiter(tpm=1000)
    first = lim2.wait(600)
    lim2.done(first, 100, 50, {})  # the server counted 100, not 600
    lim2.wait(800)
    assert c2.slept == []


def test_server_headers_hold_every_worker_until_the_reset():
    lim, c = limiter()
    t = lim.wait(10)
    lim.done(t, 10, 5, {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1.5s",
                        "x-ratelimit-remaining-tokens": "90000"})
    lim.wait(10)
    assert c.slept == [1.5]
    t = lim.wait(10)
    lim.done(t, 10, 5, {"x-ratelimit-remaining-requests": "50", "x-ratelimit-remaining-tokens": "20",
                        "x-ratelimit-reset-tokens": "6m0s"})  # fewer tokens left than an answer takes
    lim.wait(10)
    assert sum(c.slept) == 361.5  # in naps of at most a minute
    t = lim.wait(10)
    lim.done(t, None, None, {"retry-after": "7"})  # a 429
    lim.wait(10)
    assert c.slept[-1] == 7.0 and sum(c.slept) == 368.5


def test_estimate_counts_prompt_and_expected_answer():
    assert estimate_tokens([{"content": "字" * 150}, {"content": None}], 100) == 200


def _two(tmp_path):
    path = tmp_path / "two.txt"
    path.write_text(TABLE + "\n" + TABLE.replace("档案数字化", "档案修复"), encoding="utf-8")
    return path


def _run(tmp_path, responses, **kw):
    sent = []

    def server(request):
        sent.append(json.loads(request.content))
        return responses.pop(0)

    settings = ModelSettings(model="m", base_url="http://llm.test/v1", max_retries=0, workers=1,
                             structured_mode="json_schema", **kw)
    llm = LLMExtractor(settings, Store(tmp_path / "db.sqlite"),
                       http_client=httpx2.Client(transport=httpx2.MockTransport(server)))
    clock = Clock()
    llm.pacer.clock, llm.pacer.sleep = clock, clock.sleep
    return list(extract_file(_two(tmp_path), llm)), clock, sent


def test_the_backend_waits_as_the_server_says(tmp_path):
    good = json.dumps(GOOD, ensure_ascii=False)
    headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s",
               "x-ratelimit-remaining-tokens": "100000", "x-ratelimit-reset-tokens": "1s"}
    tables, clock, sent = _run(tmp_path, [answer(good, headers=headers), answer(good)])
    assert [t.llm.status for t in tables] == ["ok", "ok"] and len(sent) == 2
    assert clock.slept == [2.0]


def test_a_429_holds_the_next_request_for_its_retry_after(tmp_path):
    good = json.dumps(GOOD, ensure_ascii=False)
    tables, clock, _ = _run(tmp_path, [error(429, "slow down", {"retry-after": "5"}), answer(good)])
    assert [t.llm.status for t in tables] == ["failed", "ok"]
    assert clock.slept == [5.0]


def test_the_backend_keeps_to_tpm(tmp_path):
    good = json.dumps(GOOD, ensure_ascii=False)
    _, _, sent = _run(tmp_path / "a", [answer(good), answer(good)], max_tokens=600)
    second = estimate_tokens(sent[1]["messages"], 600)  # what the second request is estimated at
    # the first answer reports 150 tokens used: the second fits in a minute of 150 + its estimate...
    tables, clock, _ = _run(tmp_path / "b", [answer(good), answer(good)], tpm=second + 155, max_tokens=600)
    assert [t.llm.status for t in tables] == ["ok", "ok"]
    assert clock.slept == []  # (the first request's own estimate, about as large, was corrected to 150)
    # ...and waits for the first to leave the window when it does not
    tables, clock, _ = _run(tmp_path / "c", [answer(good), answer(good)], tpm=second + 100, max_tokens=600)
    assert clock.slept == [pytest.approx(60.0)]


def test_tpm_is_a_setting_and_a_flag():
    from jixiao.settings import load_settings

    s = load_settings(None, backend="llm", model="m", tpm=90000)
    assert s.model.tpm == 90000


def test_a_streamed_answer_paces_by_its_headers_and_usage(tmp_path):
    """The streamed path (the default): the rate-limit headers of the stream's response hold the next
    request, and the usage of the last event replaces the estimate in the tokens-a-minute window."""
    from test_llm_stream import whole

    good = json.dumps(GOOD, ensure_ascii=False)
    headers = {"content-type": "text/event-stream", "x-ratelimit-remaining-requests": "0",
               "x-ratelimit-reset-requests": "3s"}
    streams = [httpx2.Response(200, headers=headers, content=b"".join(whole(good))),
               httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=b"".join(whole(good)))]
    tables, clock, sent = _run(tmp_path, streams, stream=True)
    assert [t.llm.status for t in tables] == ["ok", "ok"] and all(s["stream"] for s in sent)
    assert clock.slept == [3.0]
    # the first stream's usage (900 prompt tokens + its deltas) is what counts against --tpm
    used = 900 + len(whole(good)) - 3
    second = estimate_tokens(sent[1]["messages"], 600)
    tables, clock, _ = _run(tmp_path / "b", [httpx2.Response(200, headers={"content-type": "text/event-stream"},
                                                             content=b"".join(whole(good))) for _ in range(2)],
                            stream=True, tpm=used + second + 5, max_tokens=600)
    assert second > used + 5  # so the window would not have held the first estimate and the second
    assert [t.llm.status for t in tables] == ["ok", "ok"] and clock.slept == []

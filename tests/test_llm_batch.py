"""--llm-batch: the OpenAI Batch API (Files and Batches endpoints) played by an httpx2 MockTransport.
These are not recordings: the server below builds its answers from the requests it was sent."""

import json
import re

import httpx2
import pytest

from jixiao.chunk import chunk_rows
from jixiao.extract.llm import LLMExtractor
from jixiao.extract.llm_batch import BatchLedger, prefetch
from jixiao.extract.llm_store import Store
from jixiao.pipeline import extract_file
from jixiao.readers import read_pages
from jixiao.settings import ModelSettings

from test_llm_faults import GOOD, TABLE, answer

SECOND = dict(GOOD, project_name="档案修复")


class BatchServer:
    """Files and Batches endpoints, and chat completions for what is asked online afterwards.

    `statuses`: what successive GET /batches/{id} answer; `line_for(custom_id, body)` -> an output line
    (dict with response or error) or None (the line is missing, as when a batch expired)."""

    def __init__(self, statuses, line_for, online=()):
        self.statuses = list(statuses)
        self.line_for = line_for
        self.online = list(online)
        self.log: list[tuple[str, str]] = []
        self.uploaded: list[dict] = []
        self.chat: list[dict] = []
        self.batch = None

    def _batch(self, status):
        self.batch.update(status=status)
        if status in ("completed", "expired", "cancelled", "failed"):
            out, err = [], []
            for line in self.uploaded:
                made = self.line_for(line["custom_id"], line["body"]) if status != "failed" else None
                if made is None:
                    continue
                (err if made.get("error") else out).append(dict(made, custom_id=line["custom_id"], id="r"))
            self.files = {"file-out": out, "file-err": err}
            self.batch.update(output_file_id="file-out" if out else None, error_file_id="file-err" if err else None)
            if status == "failed":
                self.batch["errors"] = {"object": "list", "data": [{"code": "invalid_file", "message": "bad line 1"}]}
        counts = {"total": len(self.uploaded), "completed": 0, "failed": 0}
        return httpx2.Response(200, json=dict(self.batch, request_counts=counts))

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        self.log.append((request.method, path))
        if request.method == "POST" and path.endswith("/files"):
            body = request.content.decode()
            self.uploaded = [json.loads(m) for m in re.findall(r'^\{"body".*\}$', body, re.M)]
            assert 'name="purpose"' in body and "batch" in body
            return httpx2.Response(200, json={"id": "file-in", "object": "file", "bytes": len(body), "created_at": 0,
                                              "filename": "jixiao-batch.jsonl", "purpose": "batch", "status": "processed"})
        if request.method == "POST" and path.endswith("/batches"):
            req = json.loads(request.content)
            assert req["endpoint"] == "/v1/chat/completions" and req["completion_window"] == "24h"
            self.batch = {"id": "batch_1", "object": "batch", "endpoint": req["endpoint"], "input_file_id": req["input_file_id"],
                          "completion_window": "24h", "created_at": 0, "status": "validating"}
            return httpx2.Response(200, json=self.batch)
        if request.method == "GET" and "/batches/" in path:
            return self._batch(self.statuses.pop(0))
        if request.method == "GET" and path.endswith("/content"):
            file_id = path.split("/")[-2]
            text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in self.files[file_id])
            return httpx2.Response(200, content=text.encode())
        if path.endswith("/chat/completions"):
            self.chat.append(json.loads(request.content))
            return self.online.pop(0)
        raise AssertionError(f"unexpected {request.method} {path}")


def ok_line(table):
    def make(custom_id, body):
        return {"response": {"status_code": 200, "request_id": "q", "body": json.loads(
            answer(json.dumps(table(body) if callable(table) else table, ensure_ascii=False)).content)}}
    return make


def by_name(body):
    """The answer that fits the table asked about."""
    return SECOND if "档案修复" in body["messages"][-1]["content"] else GOOD


@pytest.fixture
def two(tmp_path):
    path = tmp_path / "two.txt"
    path.write_text(TABLE + "\n" + TABLE.replace("档案数字化", "档案修复"), encoding="utf-8")
    return path


def _llm(tmp_path, server, **kw):
    settings = ModelSettings(model="m", base_url="http://llm.test/v1", max_retries=0, workers=1,
                             structured_mode=kw.pop("structured_mode", "json_schema"), **kw)
    return LLMExtractor(settings, Store(tmp_path / "jixiao.db"),
                        http_client=httpx2.Client(transport=httpx2.MockTransport(server)))


def _prefetch(llm, path, folder):
    chunks = [(str(path), c) for c in chunk_rows(read_pages(path))]
    return prefetch(llm, chunks, folder, poll=0, sleep=lambda s: None)


def test_a_completed_batch_answers_every_table_and_nothing_is_asked_online(tmp_path, two):
    server = BatchServer(["in_progress", "finalizing", "completed"], ok_line(by_name))
    llm = _llm(tmp_path, server)
    report = _prefetch(llm, two, tmp_path)
    assert (report.requests, report.cached, report.status) == (2, 2, "completed")
    assert [m for m, _ in server.log] == ["POST", "POST", "GET", "GET", "GET", "GET"]
    tables = list(extract_file(two, llm))
    assert [t.project_name for t in tables] == ["档案数字化", "档案修复"]
    assert all(t.llm.status == "ok" and t.llm.cache_hit for t in tables)
    assert server.chat == []
    assert tables[0].evidence  # grounded in the source like any answer
    # an identical second prefetch has nothing to send
    assert _prefetch(llm, two, tmp_path).requests == 0


def test_batch_lines_are_the_online_requests(tmp_path, two):
    """Same messages, schema, structured mode and max_tokens as online (only the transport differs:
    a batch line is not streamed)."""
    for mode in ("json_schema", "tools", "json_object"):
        for stream in (False, True):
            online = BatchServer([], None, [answer(json.dumps(GOOD, ensure_ascii=False),
                                                   tool_args=json.dumps(GOOD, ensure_ascii=False) if mode == "tools"
                                                   else None)] * 2)
            list(extract_file(two, _llm(tmp_path / f"on-{mode}-{stream}", online, structured_mode=mode,
                                        use_cache=False, stream=stream)))
            batch = BatchServer(["completed"], lambda c, b: None)
            _prefetch(_llm(tmp_path / f"b-{mode}-{stream}", batch, structured_mode=mode), two,
                      tmp_path / f"b-{mode}-{stream}")
            sent = [line["body"] for line in batch.uploaded]
            if stream and mode != "tools":  # tool calls are never streamed
                sent = [dict({k: v for k, v in b.items() if k != "stream"}, stream=True,
                             stream_options={"include_usage": True}) for b in sent]
            assert sent == online.chat, (mode, stream)
            assert all(line["url"] == "/v1/chat/completions" and line["method"] == "POST" for line in batch.uploaded)


def test_failed_and_invalid_lines_are_asked_online(tmp_path, two):
    def line(custom_id, body):
        if "档案修复" in body["messages"][-1]["content"]:
            return {"response": {"status_code": 200, "body": json.loads(answer('{"title": 1}').content)}}  # invalid
        return {"error": {"code": "server_error", "message": "boom"}}  # a failed line

    server = BatchServer(["completed"], line, online=[answer(json.dumps(GOOD, ensure_ascii=False)),
                                                      answer(json.dumps(SECOND, ensure_ascii=False))])
    llm = _llm(tmp_path, server)
    report = _prefetch(llm, two, tmp_path)
    assert (report.cached, report.failed, report.invalid) == (0, 1, 1)
    tables = list(extract_file(two, llm))
    assert [t.llm.status for t in tables] == ["ok", "ok"] and not any(t.llm.cache_hit for t in tables)
    assert len(server.chat) == 2  # each asked once online


@pytest.mark.parametrize("status", ["expired", "cancelled", "failed"])
def test_a_batch_that_did_not_complete_leaves_the_rest_to_the_online_path(tmp_path, two, status):
    # an expired batch still returns what it finished; cancelled and failed ones here return nothing
    def line(custom_id, body):
        if status == "expired" and "档案修复" not in body["messages"][-1]["content"]:
            return ok_line(GOOD)(custom_id, body)
        return None

    online = [GOOD, SECOND] if status != "expired" else [SECOND]
    server = BatchServer(["in_progress", status], line, online=[answer(json.dumps(t, ensure_ascii=False)) for t in online])
    llm = _llm(tmp_path, server)
    report = _prefetch(llm, two, tmp_path)
    assert report.status == status and report.cached == (1 if status == "expired" else 0)
    if status == "failed":
        assert report.errors == ["bad line 1"]
    tables = list(extract_file(two, llm))
    assert [t.project_name for t in tables] == ["档案数字化", "档案修复"]
    assert all(t.llm.status == "ok" for t in tables)
    assert len(server.chat) == (1 if status == "expired" else 2)


def test_a_restarted_run_picks_up_the_same_batch(tmp_path, two):
    server = BatchServer(["in_progress"], ok_line(by_name))
    llm = _llm(tmp_path, server)

    class Killed(Exception):
        pass

    def killed(_):
        raise Killed  # the run dies while it waits for the batch

    chunks = [(str(two), c) for c in chunk_rows(read_pages(two))]
    with pytest.raises(Killed):
        prefetch(llm, chunks, tmp_path, poll=0, sleep=killed)
    ledger = BatchLedger(tmp_path)
    assert ledger.db.execute("SELECT batch_id FROM llm_batches").fetchall() == [("batch_1",)]
    ledger.close()
    uploads = sum(1 for m, p in server.log if p.endswith("/files"))
    server.statuses = ["in_progress", "completed"]
    report = prefetch(llm, chunks, tmp_path, poll=0, sleep=lambda s: None)
    assert report.resumed and report.batch_id == "batch_1" and report.cached == 2
    assert sum(1 for m, p in server.log if p.endswith("/files")) == uploads == 1  # not sent (nor paid) twice
    assert sum(1 for m, p in server.log if p.endswith("/batches")) == 1


def test_cli_needs_the_model_backend(tmp_path):
    import subprocess
    import sys

    from conftest import FIXTURES

    r = subprocess.run([sys.executable, "-m", "jixiao.cli", "run", str(FIXTURES / "seed-tables.txt"), "-o",
                        str(tmp_path / "o"), "--llm-batch"], capture_output=True, text=True)
    assert r.returncode == 2 and "--llm-batch needs the model backend" in r.stderr


def test_with_the_hybrid_backend_only_the_tables_it_would_send_go_in_the_batch(tmp_path):
    """The hybrid backend asks the model about unsure tables only: the batch holds those, and the run
    finds their answers in the cache (the confident table is never sent, online or in the batch)."""
    from jixiao.extract.hybrid import HybridExtractor
    from jixiao.extract.llm_batch import run_chunks
    from jixiao.settings import ReadOptions

    from test_hybrid import RIGHT, UNSURE

    path = tmp_path / "three.txt"
    path.write_text(UNSURE + "\n" + TABLE.replace("档案数字化", "档案修复") + "\n" +
                    UNSURE.replace("档案数字化", "档案整理"), encoding="utf-8")
    model = json.loads(json.dumps(GOOD))
    model["indicators"].insert(1, RIGHT)
    named = lambda body: dict(model, project_name="档案整理" if "档案整理" in body["messages"][-1]["content"]  # noqa: E731
                              else "档案数字化")
    server = BatchServer(["completed"], ok_line(named))
    llm = _llm(tmp_path, server, stream=False)
    report = prefetch(llm, run_chunks([path], ReadOptions(), doubtful_only=True), tmp_path, poll=0,
                      sleep=lambda s: None)
    assert (report.requests, report.cached) == (2, 2)
    tables = list(extract_file(path, HybridExtractor(llm)))
    assert [t.provenance.backend for t in tables] == ["hybrid", "rules", "hybrid"]
    assert [t.llm.cache_hit for t in tables if t.llm is not None] == [True, True]
    assert server.chat == []

"""The reviewer's workbench without a browser: its safety rules (host, token, CSRF, read-only, no
path traversal, escaping), decisions that survive a re-run or reopen when their evidence changed,
concurrent deciding, and the exports (.docx per GB/T 9704 settings, decisions as JSON and xlsx)."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path

import pytest

from jixiao.report import read_findings
from starlette.testclient import TestClient

from conftest import FIXTURES
from workbench_helpers import Served, jixiao, seed_run

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])


@pytest.fixture(scope="module")
def seed_out(tmp_path_factory) -> Path:
    return seed_run(tmp_path_factory.mktemp("seed") / "out")


@pytest.fixture
def run_dir(seed_out, tmp_path) -> Path:
    """A fresh copy of the seed run (the source path inside it is absolute, so it still resolves)."""
    out = tmp_path / "run"
    shutil.copytree(seed_out, out)
    return out


def client(folder: Path, **kwargs):
    from jixiao.workbench.app import Settings, build_app

    settings = Settings(folder, **kwargs)
    return TestClient(build_app(settings), base_url="http://127.0.0.1"), settings


def keys_on(page_html: str) -> dict[str, str]:
    """finding key -> rule, as the project page lists them."""
    return dict(re.findall(r'id="f-([0-9a-f]+)" data-key="[0-9a-f]+" data-rule="([A-Z0-9-]+)"', page_html))


def findings_of(folder: Path, ref_suffix: str = "#0") -> list[dict]:
    return [f for f in read_findings(folder / "findings.json")
            if f["table_ref"].endswith(ref_suffix)]


def test_pages_list_every_project_and_its_findings(run_dir):
    c, _s = client(run_dir, reviewer="甲")
    overview = c.get("/")
    assert overview.status_code == 200
    names = {t["project_name"] for t in json.loads((run_dir / "seed-tables.json").read_text(encoding="utf-8"))}
    assert len(names) == 7 and all(n in overview.text for n in names)
    assert "<svg" in overview.text
    page = c.get("/p/0")
    assert page.status_code == 200
    assert sorted(keys_on(page.text).values()) == sorted(f["rule"] for f in findings_of(run_dir))
    image = c.get("/p/0/page/1.png")
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    # filters
    dept = json.loads((run_dir / "seed-tables.json").read_text(encoding="utf-8"))[0]["competent_department"]
    filtered = c.get("/", params={"q": "做实职业年金"})
    assert "财政核定做实职业年金" in filtered.text and "网评工作经费" not in filtered.text
    assert dept in c.get("/", params={"dept": dept}).text


@pytest.mark.parametrize("path", ["/files/../findings.json", "/files/..%2f..%2fetc%2fpasswd", "/files/%2e%2e/%2e%2e/etc/passwd",
                                  "/files/.jixiao-review.sqlite", "/files/.jixiao-run.sqlite", "/files//etc/passwd",
                                  "/static/../app.py", "/static/%2e%2e%2fapp.py", "/p/0/page/2.png", "/p/99/page/1.png",
                                  "/p/..%2f..%2fetc/page/1.png"])
def test_no_file_outside_the_run_folder(run_dir, path):
    c, _s = client(run_dir)
    r = c.get(path)
    assert r.status_code == 404
    assert "root:" not in r.text and "SQLite" not in r.text


def test_files_of_the_run_folder_are_served(run_dir):
    c, _s = client(run_dir)
    assert c.get("/files/review.md").text == (run_dir / "review.md").read_text(encoding="utf-8")


def test_state_changes_need_the_csrf_token(run_dir):
    c, s = client(run_dir)
    key = next(iter(keys_on(c.get("/p/0").text)))
    refused = c.post("/p/0/decide", data={"key": key, "action": "accept"})
    assert refused.status_code == 403
    wrong = c.post("/p/0/decide", data={"key": key, "action": "accept", "csrf": "x" * 43})
    assert wrong.status_code == 403
    assert not (s.folder / ".jixiao-review.sqlite").exists() or "已采纳" not in c.get("/p/0").text
    ok = c.post("/p/0/decide", data={"key": key, "action": "accept", "csrf": s.csrf}, follow_redirects=False)
    assert ok.status_code == 303
    assert "已采纳" in c.get("/p/0").text


def test_read_only_refuses_every_change(run_dir):
    c, s = client(run_dir, read_only=True)
    page = c.get("/p/0").text
    assert "<form method=\"post\"" not in page
    key = next(iter(keys_on(page)))
    for path, data in [("/p/0/decide", {"key": key, "action": "accept"}), ("/p/0/note", {"text": "x"}),
                       ("/p/0/correct", {"field": "project_name", "value": "x"}), ("/p/0/done", {"done": "1"})]:
        r = c.post(path, data={**data, "csrf": s.csrf})
        assert r.status_code == 403, path
    assert "已采纳" not in c.get("/p/0").text and "未审" in c.get("/").text


def test_foreign_host_header_refused_on_loopback(run_dir):
    c, _s = client(run_dir)
    assert c.get("/", headers={"host": "attacker.example:8600"}).status_code == 403


def test_other_hosts_need_a_token_and_every_request_checks_it(run_dir):
    from jixiao.workbench.app import Settings

    with pytest.raises(ValueError):
        Settings(run_dir, host="0.0.0.0")
    c, _s = client(run_dir, host="0.0.0.0", token="s3cret-token")
    assert c.get("/").status_code == 401
    assert c.get("/p/0/page/1.png").status_code == 401
    assert c.get("/", headers={"authorization": "Bearer wrong"}).status_code == 401
    assert c.get("/", headers={"authorization": "Bearer s3cret-token"}).status_code == 200
    # a link with the token sets a cookie and drops the token from the address
    r = c.get("/?token=s3cret-token", follow_redirects=False)
    assert r.status_code == 303 and "token" not in r.headers["location"]
    assert c.get("/").status_code == 200  # the cookie now


def test_document_markup_is_escaped(tmp_path):
    seed = (FIXTURES / "seed-tables.txt").read_text(encoding="utf-8").split("\n\n\n\n")[0]
    src = tmp_path / "evil.txt"
    src.write_text(seed.replace("做实职业年金缴纳人数", "<script>alert(1)</script>人数"), encoding="utf-8")
    out = seed_run(tmp_path / "out", src)
    c, _s = client(out)
    page = c.get("/p/0")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_correcting_a_value_keeps_the_original_and_closes_its_finding(run_dir):
    c, s = client(run_dir)
    tables = json.loads((run_dir / "seed-tables.json").read_text(encoding="utf-8"))
    i = next(n for n, ind in enumerate(tables[0]["indicators"]) if ind["value_text"] == "提高")
    name = tables[0]["indicators"][i]["name"]
    before = [f for f in findings_of(run_dir) if f["indicator"] == name]
    assert [f["rule"] for f in before] == ["MEAS-01"]
    r = c.post("/p/0/correct", data={"field": f"indicators[{i}].value_text", "value": "≥95%", "csrf": s.csrf})
    assert r.status_code == 200  # followed to the project page
    assert 'id="closed-' in r.text and "原读取：提高" in r.text
    from jixiao.workbench.runview import RunView

    p = RunView(run_dir).project(0)
    assert not [v for v in p.findings if v.f.indicator == name and v.f.rule == "MEAS-01"]
    assert [v.f.rule for v in p.closed if v.f.indicator == name] == ["MEAS-01"]
    assert p.original.indicators[i].value_text == "提高"  # the reading itself is untouched
    assert p.table.indicators[i].value_text == "≥95%" and p.table.indicators[i].value == 95
    assert json.loads((run_dir / "seed-tables.json").read_text(encoding="utf-8")) == tables
    bad = c.post("/p/0/correct", data={"field": "funds.total_all_levels", "value": "四万", "csrf": s.csrf})
    assert "资金应为数字" in bad.text
    assert c.post("/p/0/correct", data={"field": "provenance.source_file", "value": "/etc/passwd",
                                        "csrf": s.csrf}).text.count("not a correctable field") == 1


def test_decisions_survive_a_rerun_and_reopen_when_their_evidence_changed(tmp_path):
    seed = (FIXTURES / "seed-tables.txt").read_text(encoding="utf-8").split("\n\n\n\n")[0]
    src = tmp_path / "t.txt"
    src.write_text(seed, encoding="utf-8")
    out = seed_run(tmp_path / "out", src)
    from jixiao.workbench.runview import RunView

    view = RunView(out, "审核人甲")
    p = view.project(0)
    social = next(v for v in p.findings if v.f.indicator == "社会福利保障程度")
    timely = next(v for v in p.findings if v.f.indicator == "职业年金缴纳完成时间")
    view.store.decide(social.key, social.slot, p.ref, "rejected", social.f.message, reason="已口头确认")
    view.store.decide(timely.key, timely.slot, p.ref, "accepted", timely.f.message, text="请明确完成时限。")
    same = jixiao("run", str(src), "-o", str(out), "--force")
    assert same.returncode == 0
    assert "2 kept, 0 reopened" in same.stderr
    src.write_text(seed.replace("社会福利保障程度 提高", "社会福利保障程度 有所提高"), encoding="utf-8")
    changed = jixiao("run", str(src), "-o", str(out))
    assert changed.returncode == 0
    assert "1 kept, 1 reopened" in changed.stderr
    p = RunView(out, "审核人乙").project(0)
    social2 = next(v for v in p.findings if v.f.indicator == "社会福利保障程度")
    assert social2.state == "reopened" and social2.reopened["reason"] == "已口头确认"
    timely2 = next(v for v in p.findings if v.f.indicator == "职业年金缴纳完成时间")
    assert timely2.state == "accepted" and timely2.final_text == "请明确完成时限。"
    c, _s = client(out)
    assert "已重新打开" in c.get("/p/0").text and "重新打开" in c.get("/").text


def test_two_tabs_deciding_at_once_lose_nothing(run_dir):
    import httpx

    with Served(run_dir, reviewer="并发") as s:
        pages = {i: keys_on(httpx.get(f"{s.url}/p/{i}").text) for i in range(7)}
        jobs = [(i, k) for i, keys in pages.items() for k in keys]
        assert len(jobs) >= 40
        errors = []
        barrier = threading.Barrier(8)

        def tab(n: int):
            with httpx.Client(base_url=s.url) as tab_client:
                barrier.wait()
                for j, (i, k) in enumerate(jobs):
                    if j % 8 != n:
                        continue
                    action = {"action": "accept"} if j % 2 else {"action": "reject", "reason": f"理由{j}"}
                    r = tab_client.post(f"/p/{i}/decide", data={"key": k, "csrf": s.settings.csrf, **action},
                                        headers={"accept": "application/json"})
                    if r.status_code != 200:
                        errors.append(r.status_code)
                # and all tabs decide the same finding too: the last one wins, every one is logged
                tab_client.post(f"/p/{jobs[0][0]}/decide", data={"key": jobs[0][1], "csrf": s.settings.csrf,
                                "action": "reject", "reason": f"tab{n}"}, headers={"accept": "application/json"})

        threads = [threading.Thread(target=tab, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
    from jixiao.workbench.store import Store

    store = Store(run_dir)
    snap = store.snapshot()
    assert set(snap["decisions"]) == {k for _i, k in jobs}
    for j, (_i, k) in enumerate(jobs[1:], 1):
        assert snap["decisions"][k]["status"] == ("accepted" if j % 2 else "rejected")
    assert snap["decisions"][jobs[0][1]]["reason"] in {f"tab{n}" for n in range(8)}
    assert len(store.log(10_000)) == len(jobs) + 8


def _docx_text(path: Path) -> str:
    import docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    parts += [cell.text for t in d.tables for row in t.rows for cell in row.cells]
    return "\n".join(parts)


def test_export_docx_has_accepted_comments_only_and_gbt9704_layout(run_dir):
    import docx
    from docx.shared import Mm, Pt

    from jixiao.workbench.runview import RunView

    view = RunView(run_dir, "审核人")
    p = view.project(0)
    accepted, rejected, edited = p.findings[0], p.findings[1], p.findings[2]
    view.store.decide(accepted.key, accepted.slot, p.ref, "accepted", accepted.f.message)
    view.store.decide(rejected.key, rejected.slot, p.ref, "rejected", rejected.f.message, reason="不适用")
    view.store.decide(edited.key, edited.slot, p.ref, "accepted", edited.f.message, text="审核人改写的意见。")
    view.store.note(p.ref, "请于五个工作日内修改后重新报送。")
    r = jixiao("export", str(run_dir), "--docx", str(run_dir / "export"), "--org", "某县财政局")
    assert r.returncode == 0, r.stderr
    dept = p.table.competent_department
    path = run_dir / "export" / f"审核意见书-{dept}.docx"
    text = _docx_text(path)
    assert f"关于{dept}2024年度项目支出绩效目标的审核意见" in text
    assert accepted.f.message in text and "审核人改写的意见。" in text
    assert rejected.f.message not in text and edited.f.message not in text
    assert "请于五个工作日内修改后重新报送。" in text and "某县财政局" in text
    d = docx.Document(str(path))
    sec = d.sections[0]
    assert [round(x / Mm(1)) for x in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == [37, 35, 28, 26]
    title = d.paragraphs[0].runs[0]
    assert title.font.size == Pt(22)
    assert title._element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "方正小标宋简体"
    body = next(par for par in d.paragraphs if accepted.f.message in par.text).runs[0]
    assert body.font.size == Pt(16) and body.font.name == "仿宋_GB2312"
    rows = json.loads((run_dir / "export" / "decisions.json").read_text(encoding="utf-8"))
    by_key = {row["key"]: row for row in rows}
    assert by_key[rejected.key]["decision"] == "rejected" and by_key[rejected.key]["reason"] == "不适用"
    assert by_key[edited.key]["drafted"] == edited.f.message and by_key[edited.key]["edited"] == "审核人改写的意见。"
    import openpyxl

    ws = openpyxl.load_workbook(run_dir / "export" / "decisions.xlsx")["审核决定"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert any(v[6] == "驳回" and v[9] == "不适用" for v in values)
    assert any(v[8] == "审核人改写的意见。" and v[7] == edited.f.message for v in values)


def test_help_does_not_import_the_web_stack():
    import subprocess
    import sys

    code = ("import sys; from typer.testing import CliRunner; from jixiao.cli import app; "
            "CliRunner().invoke(app, ['--help']); "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'docx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_reports_carry_a_header_and_review_html_prints(tmp_path):
    import datetime as dt
    import os
    import subprocess
    import sys

    env = {**os.environ, "JIXIAO_REVIEWER": "王审核"}
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "jixiao.cli", "run", str(FIXTURES / "seed-tables.pdf"), "-o", str(out),
                        "--no-images"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    tables = json.loads((out / "seed-tables.json").read_text(encoding="utf-8"))
    today = dt.date.today()
    expected = [f"部门：{tables[0]['competent_department']}", f"年度：{tables[0]['year']}",
                f"审核日期：{today.year}年{today.month}月{today.day}日", "审核人：王审核"]
    md_head = (out / "review.md").read_text(encoding="utf-8").split("共审核")[0]
    html = (out / "review.html").read_text(encoding="utf-8")
    for item in expected:
        assert item in md_head and item in html
    assert "@media print" in html

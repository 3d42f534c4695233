"""The reviewer's workbench in a real browser: Playwright driving Debian's chromium (headless, no
browser download), the app served in-process on a free loopback port.

The whole workflow on the seed tables: overview, a project, a value's box shown on hover and on
focus, accept / reject with a reason / edit, a corrected value closing its finding, a note, 已完成,
and the .docx read back.  Also: markup from a document never runs, a POST without the CSRF token
and any change under --read-only are refused.

Screenshots go to tmp; with JIXIAO_DOC_IMAGES=1 they go to docs/img/ (the README's workflow
images): `JIXIAO_DOC_IMAGES=1 python -m pytest tests/test_workbench_browser.py`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from jixiao.report import read_findings

from conftest import FIXTURES, ROOT
from workbench_helpers import Served, jixiao, seed_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.block_network(allowed_hosts=["127.0.0.1"]),
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (CI installs it)")]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = ROOT / "docs" / "img" if os.environ.get("JIXIAO_DOC_IMAGES") == "1" else tmp_path / "img"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _docx_text(path: Path) -> str:
    import docx

    d = docx.Document(str(path))
    return "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])


def test_review_workflow_in_chromium(browser, tmp_path, shots):
    import pymupdf
    from playwright.sync_api import expect

    out = seed_run(tmp_path / "out")
    tables = json.loads((out / "seed-tables.json").read_text(encoding="utf-8"))
    findings = [f for f in read_findings(out / "findings.json") if f["table_ref"].endswith("#0")]
    by_rule = lambda rule, ind=None: next(f for f in findings if f["rule"] == rule and (ind is None or f["indicator"] == ind))  # noqa: E731
    t0 = tables[0]
    social = next(i for i, ind in enumerate(t0["indicators"]) if ind["name"] == "社会福利保障程度")
    staff = next(i for i, ind in enumerate(t0["indicators"]) if ind["name"] == "提升职工工作积极性及质量")

    with Served(out, reviewer="测试审核人") as s:
        page = browser.new_page(viewport={"width": 1440, "height": 960})
        page.goto(s.url + "/")
        expect(page.locator("#projects tbody tr")).to_have_count(7)
        expect(page.locator("svg.chart")).to_be_visible()
        page.screenshot(path=str(shots / "workbench-1-overview.png"), full_page=True)

        page.get_by_role("link", name=t0["project_name"]).click()
        expect(page.locator("#project-name")).to_have_text(t0["project_name"])
        img = page.locator(".page img")
        expect(img).to_be_visible()
        page.wait_for_function("document.querySelector('.page img').complete")
        page.screenshot(path=str(shots / "workbench-2-project.png"))

        # hover a value: its box shows where the evidence says, on the page image
        field = f"indicators[{social}].value_text"
        box = page.locator(f'.box[data-field="{field}"]')
        expect(box).to_be_hidden()
        page.locator(f'td.val[data-field="{field}"]').hover()
        expect(box).to_be_visible()
        with pymupdf.open(FIXTURES / "seed-tables.pdf") as doc:
            width, height = doc[0].rect.width, doc[0].rect.height
        x0, y0, x1, y1 = t0["evidence"][field]["bbox"]
        ib, bb = img.bounding_box(), box.bounding_box()
        scale = ib["width"] / width
        assert abs(bb["x"] - (ib["x"] + x0 * scale)) < 3 and abs(bb["y"] - (ib["y"] + y0 * scale)) < 3
        assert abs(bb["width"] - (x1 - x0) * scale) < 4 and abs(ib["height"] - height * scale) < 3
        page.screenshot(path=str(shots / "workbench-3-hover.png"))
        # and by keyboard: focus moves the highlight
        page.locator('td.val[data-field="project_name"]').focus()
        expect(page.locator('.box[data-field="project_name"]')).to_be_visible()

        # accept one, reject one with a reason, edit one
        page.locator('.finding[data-rule="MEAS-02"] button.accept').click()
        expect(page.locator('.finding[data-rule="MEAS-02"] .decision')).to_have_text("已采纳")
        reject = page.locator('.finding[data-rule="COST-01"]')
        reject.locator('input[name="reason"]').fill("成本指标按总额填列，符合本地填报说明")
        reject.locator("button.reject").click()
        expect(page.locator('.finding[data-rule="COST-01"] .decision')).to_have_text("已驳回")
        expect(page.locator('.finding[data-rule="COST-01"] .reason')).to_contain_text("符合本地填报说明")
        edited_text = "绩效目标仅重复项目名称，请补充做实职业年金的人数、金额和完成时限。"
        goal = page.locator('.finding[data-rule="GOAL-01"]')
        goal.locator("details.edit summary").click()
        goal.locator("textarea").fill(edited_text)
        goal.locator("button.save-edit").click()
        expect(page.locator('.finding[data-rule="GOAL-01"] .final')).to_have_text(edited_text)
        expect(page.locator('.finding[data-rule="GOAL-01"] .decision')).to_have_text("已采纳（已修改）")
        page.locator(f'.finding[data-rule="MEAS-01"][data-field="indicators[{social}].value_text"] button.accept').click()

        # correct a value: its finding closes at once, the original reading stays beside it
        staff_field = f"indicators[{staff}].value_text"
        meas01_staff = f'.finding[data-rule="MEAS-01"][data-field="{staff_field}"]'
        expect(page.locator(meas01_staff)).to_have_count(1)
        form = page.locator(f'form.correct:has(input[name="field"][value="{staff_field}"])')
        page.locator(f'td.fix:has(input[name="field"][value="{staff_field}"]) summary').click()
        form.locator('input[name="value"]').fill("≥90%")
        form.get_by_role("button", name="保存更正").click()
        expect(page.locator(meas01_staff)).to_have_count(0)
        expect(page.locator('.finding.closed[data-rule="MEAS-01"]')).to_have_count(1)
        expect(page.locator(f'td.val[data-field="{staff_field}"]')).to_contain_text("原读取：有效提升")

        page.locator("#note-text").fill("请于五个工作日内修改后重新报送。")
        page.locator("#save-note").click()
        page.locator("#mark-done").click()
        expect(page.locator("#status")).to_have_text("已完成")
        page.screenshot(path=str(shots / "workbench-4-decided.png"), full_page=True)

        with page.expect_download() as dl:
            page.get_by_role("link", name="下载本项目审核意见书（Word）").click()
        project_doc = tmp_path / "project.docx"
        dl.value.save_as(project_doc)

        page.goto(s.url + "/")
        expect(page.locator('#projects tbody tr[data-status="已完成"]')).to_have_count(1)
        page.screenshot(path=str(shots / "workbench-5-overview-done.png"), full_page=True)
        page.close()

    r = jixiao("export", str(out), "--docx", str(tmp_path / "docs"))
    assert r.returncode == 0, r.stderr
    dept_doc = tmp_path / "docs" / f"审核意见书-{t0['competent_department']}.docx"
    accepted = [by_rule("MEAS-02")["message"], edited_text, by_rule("MEAS-01", "社会福利保障程度")["message"]]
    gone = [by_rule("COST-01")["message"], by_rule("GOAL-01")["message"], by_rule("MEAS-01", "提升职工工作积极性及质量")["message"]]
    for doc in (project_doc, dept_doc):
        text = _docx_text(doc)
        assert all(a in text for a in accepted), doc
        assert not any(g in text for g in gone), doc
        assert "请于五个工作日内修改后重新报送。" in text and "（审核等级：" in text


def test_markup_from_a_document_never_runs(browser, tmp_path):
    seed = (FIXTURES / "seed-tables.txt").read_text(encoding="utf-8").split("\n\n\n\n")[0]
    payload = '<script>document.title="PWNED";alert(1)</script>'
    src = tmp_path / "evil.txt"
    src.write_text(seed.replace("做实职业年金缴纳人数", payload + "人数").replace(
        "项目名称 财政核定做实职业年金", '项目名称 <img src=x onerror="alert(2)">'), encoding="utf-8")
    out = seed_run(tmp_path / "out", src)
    dialogs = []
    with Served(out) as s:
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in ("/", "/p/0"):
            page.goto(s.url + path)
            page.wait_for_load_state("load")
            # the page's own title (the project name in it as text): no script set it
            assert page.title().endswith("绩效目标审核工作台") and "PWNED" not in page.title()
        expect_text = page.locator('td.val[data-field="indicators[0].name"]').inner_text()
        assert payload in expect_text
        assert page.locator("img[src=x]").count() == 0
        page.close()
    assert dialogs == []


def test_post_without_csrf_and_read_only_are_refused(browser, tmp_path):
    out = seed_run(tmp_path / "out")
    from jixiao.workbench.store import Store

    with Served(out) as s:
        page = browser.new_page()
        page.goto(s.url + "/p/0")
        key = page.locator(".finding").first.get_attribute("data-key")
        r = page.request.post(s.url + "/p/0/decide", form={"key": key, "action": "accept"})
        assert r.status == 403
        r = page.request.post(s.url + "/p/0/done", form={"done": "1"})
        assert r.status == 403
        page.close()
    assert Store(out).snapshot()["decisions"] == {}
    with Served(out, read_only=True) as s:
        page = browser.new_page()
        page.goto(s.url + "/p/0")
        assert page.locator("#read-only").is_visible()
        assert page.locator("button.accept").count() == 0
        csrf = s.settings.csrf
        r = page.request.post(s.url + "/p/0/decide", form={"key": key, "action": "accept", "csrf": csrf})
        assert r.status == 403
        page.close()
    snap = Store(out).snapshot()
    assert snap["decisions"] == {} and snap["projects"] == {}

"""review.html in a real browser (Debian's chromium, headless): markup from a document shows as
text and never runs.  CI installs chromium (.ci/run); elsewhere, install it to run this test."""

import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (CI installs it)")
def test_script_in_a_cell_shows_as_text_in_chromium(tmp_path):
    seed = (FIXTURES / "seed-tables.txt").read_text(encoding="utf-8").split("\n\n\n\n")[0]
    payload = '<script>document.title="PWNED";document.body.setAttribute("data-pwned","1")</script>'
    src = tmp_path / "evil.txt"
    src.write_text(seed.replace("做实职业年金缴纳人数", payload + "人数").replace(
        "项目名称 财政核定做实职业年金", '项目名称 <img src=x onerror="document.title=\'PWNED\'">'), encoding="utf-8")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "jixiao.cli", "run", str(src), "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000",
                          "--dump-dom", (out / "review.html").as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert "<title>绩效目标审核意见</title>" in dom  # the page's own title: no script ran
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "&lt;script&gt;document.title" in dom  # the cell's markup is there, as text
    assert "<img src=\"x\"" not in dom and "<img src=x" not in dom

"""--ray: the same batch on a Ray cluster (a local one of two workers here) writes what a local run
writes, survives a killed worker and a killed driver, and reads from and writes to object storage."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, descendants

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray", reason="pip install 'jixiao[ray]' (the test extra installs it)")

CMD = [sys.executable, "-m", "jixiao.cli"]
COMPARED = ["findings.json", "review.md"]


def jixiao(*args, **kw):
    return subprocess.run([*CMD, *map(str, args)], capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """24 inputs (text PDFs, a text export, a broken PDF) and the outputs of a local run of them."""
    root = tmp_path_factory.mktemp("ray")
    d = root / "in"
    d.mkdir()
    for i in range(20):
        (d / f"doc{i:02d}.pdf").write_bytes((FIXTURES / "seed-tables.pdf").read_bytes())
    for i in range(3):
        (d / f"text{i}.txt").write_bytes((FIXTURES / "seed-tables.txt").read_bytes())
    (d / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\0" * 500)
    ref = root / "ref"
    r = jixiao("run", d, "-o", ref, "--no-images", "--jobs", "1")
    assert r.returncode == 1 and "broken.pdf" in r.stderr, r.stderr
    return d, ref


def _same(out: Path, ref: Path, names=None):
    names = names or COMPARED + sorted(p.name for p in ref.glob("*.json"))
    for name in names:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name


def _done(out: Path) -> int:
    try:
        with sqlite3.connect(out / ".jixiao-run.sqlite") as db:
            return db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    except sqlite3.Error:
        return 0


def _wait(out: Path, proc, n: int, limit: float = 300) -> int:
    deadline = time.monotonic() + limit
    while _done(out) < n and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    return _done(out)


def _end_group(proc) -> None:
    """The Ray processes a killed driver leaves behind (its own process group) are ended."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_a_ray_run_writes_byte_for_byte_what_a_local_run_writes(batch, tmp_path):
    d, ref = batch
    r = jixiao("run", d, "-o", tmp_path / "out", "--no-images", "--ray", "local", "--jobs", "2")
    assert r.returncode == 1 and "broken.pdf" in r.stderr, r.stderr
    _same(tmp_path / "out", ref)


def test_a_worker_killed_mid_run_costs_only_its_files(batch, tmp_path):
    d, ref = batch
    out = tmp_path / "out"
    proc = subprocess.Popen([*CMD, "run", str(d), "-o", str(out), "--no-images", "--ray", "local", "--jobs", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert _wait(out, proc, 3) >= 3
        actors = [pid for pid, cmd in descendants(proc.pid).items() if "ray::FileReader" in cmd]
        assert actors, "no actor process found"
        os.kill(actors[0], signal.SIGKILL)
        killed_at = _done(out)
        _, err = proc.communicate(timeout=600)
    finally:
        _end_group(proc)
    assert killed_at < 24, "the worker must be killed in the middle of the run"
    assert proc.returncode == 1 and "broken.pdf" in err, err  # only the broken input failed
    _same(out, ref)


def test_a_killed_driver_resumes_from_the_manifest(batch, tmp_path):
    d, ref = batch
    out = tmp_path / "out"
    proc = subprocess.Popen([*CMD, "run", str(d), "-o", str(out), "--no-images", "--ray", "local", "--jobs", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        killed_at = _wait(out, proc, 4)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        _end_group(proc)
    assert 0 < killed_at < 24
    assert not (out / "findings.json").exists()
    again = jixiao("run", d, "-o", out, "--no-images", "--ray", "local", "--jobs", "2")
    assert again.returncode == 1, again.stderr
    assert "done before" in again.stderr
    _same(out, ref)


# -- object storage: an S3 endpoint served by moto on 127.0.0.1 -----------------------------------


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    pytest.importorskip("moto.server", reason="pip install 'moto[server]'")
    pytest.importorskip("s3fs")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION="us-east-1", JIXIAO_S3_ENDPOINT=f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield env
    server.kill()
    server.wait()


def _s3(env, code: str) -> str:
    """s3fs work done in a child process (this one blocks the network)."""
    prelude = ("import s3fs, os\nfs = s3fs.S3FileSystem(client_kwargs={'endpoint_url': "
               "os.environ['JIXIAO_S3_ENDPOINT']})\n")
    r = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_inputs_and_outputs_in_object_storage(batch, s3, tmp_path):
    d, ref = batch
    _s3(s3, f"fs.mkdir('jixiao-test')\nfs.put({str(d)!r} + '/', 'jixiao-test/in/', recursive=True)")
    r = jixiao("run", "s3://jixiao-test/in", "-o", "s3://jixiao-test/out", "--no-images", "--ray", "local", "--jobs", "2", env=s3)
    assert r.returncode == 1 and "s3://jixiao-test/in/broken.pdf" in r.stderr, r.stderr
    got = tmp_path / "got"
    _s3(s3, f"fs.get('jixiao-test/out/', {str(got)!r} + '/', recursive=True)")
    assert (got / ".jixiao-run.sqlite").is_file()
    names = sorted(p.name for p in ref.glob("*.json") if p.name != "findings.json")
    assert len(names) == 23
    for name in names:  # the same tables, named by their URLs
        mine, theirs = json.loads((got / name).read_text()), json.loads((ref / name).read_text())
        for t in theirs:
            t["provenance"]["source_file"] = "s3://jixiao-test/in/" + Path(t["provenance"]["source_file"]).name
        assert mine == theirs, name
    findings = json.loads((got / "findings.json").read_text())
    assert len(findings) == len(json.loads((ref / "findings.json").read_text())) > 0
    assert (got / "review.md").is_file() and (got / "review.xlsx").is_file()
    # started again, nothing is read twice: the manifest came back from storage
    again = jixiao("run", "s3://jixiao-test/in", "-o", "s3://jixiao-test/out", "--no-images", "--jobs", "1", env=s3)
    assert "done before" in again.stderr, again.stderr


def test_inputs_on_a_shared_path_without_ray_too(batch, tmp_path):
    """A shared filesystem is a path: the local run over it is the reference above; --jobs too."""
    d, ref = batch
    r = jixiao("run", d, "-o", tmp_path / "out", "--no-images", "--jobs", "2")
    assert r.returncode == 1
    _same(tmp_path / "out", ref)

"""Choosing the backend and reading the call log from the command line (no model is called here)."""

import json
import subprocess
import sys

from conftest import FIXTURES


def jixiao(*args, env=None):
    import os

    full = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "JIXIAO_MODEL")}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "jixiao.cli", *map(str, args)], capture_output=True, text=True, env=full)


def test_auto_backend_is_rules_without_a_model(tmp_path):
    r = jixiao("extract", FIXTURES / "seed-tables.txt", "--backend", "auto", env={"JIXIAO_HOME": str(tmp_path)})
    assert r.returncode == 0
    assert {t["provenance"]["backend"] for t in json.loads(r.stdout)} == {"rules"}


def test_llm_backend_without_a_model_is_a_clear_error(tmp_path):
    r = jixiao("extract", FIXTURES / "seed-tables.txt", "--backend", "llm", env={"JIXIAO_HOME": str(tmp_path)})
    assert r.returncode == 2 and "needs a model" in r.stderr and "Traceback" not in r.stderr


def test_unreachable_endpoint_fails_each_table_and_keeps_the_rules_reading(tmp_path):
    """A model server that is down: every table says why, and the rules result stays available."""
    table1 = tmp_path / "t1.txt"
    table1.write_text((FIXTURES / "seed-tables.txt").read_text(encoding="utf-8").split("\n\n\n\n")[0], encoding="utf-8")
    cfg = tmp_path / "jixiao.toml"
    cfg.write_text('[llm]\nmodel = "m"\nbase_url = "http://127.0.0.1:9/v1"\nmax_retries = 0\ntimeout = 5\n'
                   f'cache_dir = "{tmp_path / "cache"}"\n', encoding="utf-8")
    r = jixiao("extract", table1, "--backend", "llm", "--config", cfg, env={"OPENAI_API_KEY": "sk-test-hidden-123456"})
    # every model call failed: the reason once, and a non-zero exit (the rules reading is still written)
    assert r.returncode == 1, r.stderr
    assert r.stderr.count("every model call failed") == 1
    (t,) = json.loads(r.stdout)
    assert t["llm"]["status"] == "failed" and "cannot reach http://127.0.0.1:9/v1" in t["llm"]["errors"][-1]
    assert t["provenance"]["backend"] == "rules" and t["project_name"] == "财政核定做实职业年金"
    assert "1 failed" in r.stderr  # the usage summary
    logs = jixiao("logs", "--config", cfg)
    assert logs.returncode == 0 and "connection" in logs.stdout
    for out in (r.stdout, r.stderr, logs.stdout, (tmp_path / "cache" / "jixiao.db").read_bytes().decode("latin-1")):
        assert "sk-test-hidden-123456" not in out


def test_config_rejects_unknown_llm_settings(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[llm]\nmodle = "x"\n', encoding="utf-8")
    r = jixiao("extract", FIXTURES / "seed-tables.txt", "--config", cfg)
    assert r.returncode == 2 and "unknown [llm] setting(s): modle" in r.stderr


def test_auto_with_a_model_sends_only_unsure_tables(tmp_path):
    """The hybrid: the seed tables are read by the rules without doubt, so the model (here an
    endpoint that is down) is never called, and the run says so."""
    cfg = tmp_path / "jixiao.toml"
    cfg.write_text('[llm]\nmodel = "m"\nbase_url = "http://127.0.0.1:9/v1"\nmax_retries = 0\ntimeout = 5\n'
                   f'cache_dir = "{tmp_path / "cache"}"\n', encoding="utf-8")
    r = jixiao("extract", FIXTURES / "seed-tables.txt", "--backend", "auto", "--config", cfg)
    assert r.returncode == 0, r.stderr
    tables = json.loads(r.stdout)
    assert len(tables) == 7 and all(t["llm"] is None and t["provenance"]["backend"] == "rules" for t in tables)
    assert "hybrid: 0 of 7 table(s) sent to the model" in r.stderr

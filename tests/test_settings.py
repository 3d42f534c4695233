"""Settings: one object from flags, environment and the config file; every bad configuration is one line."""

import os
import re
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT
from jixiao.settings import ConfigError, load_settings


def jixiao(*args, env=None):
    return subprocess.run([sys.executable, "-m", "jixiao.cli", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_the_readme_config_example_works_as_written(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- config-example -->\s*```toml\n(.*?)```", readme, re.S).group(1)
    cfg = tmp_path / "review.toml"
    cfg.write_text("\n".join(line.strip() for line in block.splitlines()), encoding="utf-8")
    s = load_settings(cfg)
    assert s.review.satisfaction_floor == 80 and s.review.fuzzy_threshold == 0.75
    cfg.write_text("[review]\nsatisfaction_floor = 90\n", encoding="utf-8")
    assert load_settings(cfg).review.satisfaction_floor == 90  # and it is read, not ignored


@pytest.mark.parametrize("text, named", [
    ("satisfaction_floor = 90\n", "'satisfaction_floor'"),  # a review key without its section
    ("[reveiw]\nsatisfaction_floor = 90\n", "'reveiw'"),  # a misspelt section
    ("[review]\nsatisfaction_flor = 90\n", "satisfaction_flor"),  # a misspelt key
    ("[llm]\nmodle = 'x'\n", "modle"),
])
def test_unknown_sections_and_keys_are_errors_naming_them(tmp_path, text, named):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_settings(cfg)
    r = jixiao("extract", FIXTURES / "seed-tables.txt", "--config", cfg)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and named in r.stderr and "Traceback" not in r.stderr


def test_a_bad_value_names_its_key(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[review]\nsatisfaction_floor = 'high'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[review\] satisfaction_floor: "):
        load_settings(cfg)


def test_an_unreadable_default_config_is_one_line_not_a_traceback(tmp_path):
    home = tmp_path / "home"
    (home / ".config" / "jixiao").mkdir(parents=True)
    (home / ".config" / "jixiao" / "config.toml").write_bytes(b"[review\nbroken")
    r = jixiao("extract", FIXTURES / "seed-tables.txt", env={"HOME": str(home), "JIXIAO_CONFIG": ""})
    assert r.returncode == 2 and "config.toml: not valid TOML" in r.stderr and "Traceback" not in r.stderr
    if os.geteuid() != 0:  # root reads files whatever their mode
        (home / ".config" / "jixiao" / "config.toml").chmod(0)
        r = jixiao("extract", FIXTURES / "seed-tables.txt", env={"HOME": str(home), "JIXIAO_CONFIG": ""})
        assert r.returncode == 2 and "cannot be read" in r.stderr


def test_a_malformed_base_url_is_one_line(tmp_path):
    r = jixiao("extract", FIXTURES / "seed-tables.txt", "--backend", "llm", "--model", "m", "--base-url",
               "http://[::1/v1", env={"JIXIAO_HOME": str(tmp_path)})
    assert r.returncode == 2 and "not a valid URL" in r.stderr and r.stderr.count("\n") == 1


def test_settings_reach_the_model_path(tmp_path):
    """fuzzy_threshold is one setting for the checker and the model's grounding alike."""
    from jixiao.extract import build_extractor

    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[review]\nfuzzy_threshold = 0.9\n[llm]\nmodel = 'm'\ncache_dir = '{tmp_path}'\n", encoding="utf-8")
    s = load_settings(cfg, backend="auto")
    assert s.backend == "hybrid" and s.model.model == "m" and s.cache_path == tmp_path / "jixiao.db"
    extractor = build_extractor(s)
    assert extractor.name == "hybrid" and extractor.llm.fuzzy_threshold == 0.9
    assert load_settings(None, backend="auto").backend == "rules" or os.environ.get("JIXIAO_MODEL")


def test_the_api_key_is_not_in_the_settings_repr(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-shown-1234567890")
    s = load_settings(None, backend="llm", model="m")
    assert s.model.api_key == "sk-never-shown-1234567890" and "sk-never" not in repr(s)

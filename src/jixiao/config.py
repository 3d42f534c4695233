"""Settings from, in order of precedence: command-line flags, environment, a TOML config file.

The file (``--config``, else $JIXIAO_CONFIG, else ~/.config/jixiao/config.toml) may hold an
``[llm]`` table (model, base_url, structured_mode, workers, rpm, max_retries, timeout, max_reasks,
max_tokens, example, cache_dir) and a ``[review]`` table of checker thresholds.  API keys are
read from the environment only (OPENAI_API_KEY), never from files or flags, so they do not end
up in shell history or in a config someone shares.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from .extract_llm import MODES, Settings
from .findings import ReviewConfig

LLM_KEYS = {"model", "base_url", "structured_mode", "workers", "rpm", "max_retries", "timeout", "max_reasks",
            "max_tokens", "example", "cache_dir", "temperature", "seed"}


class ConfigError(Exception):
    pass


def load(path: Path | None) -> dict:
    if path is None:
        env = os.environ.get("JIXIAO_CONFIG")
        default = Path.home() / ".config" / "jixiao" / "config.toml"
        path = Path(env) if env else (default if default.is_file() else None)
    if path is None:
        return {}
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: {e}") from None
    unknown = set(data.get("llm", {})) - LLM_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown [llm] setting(s): {', '.join(sorted(unknown))}")
    return data


def review_config(data: dict) -> ReviewConfig:
    try:
        return ReviewConfig.model_validate(data.get("review", {}))
    except Exception as e:
        raise ConfigError(f"[review]: {str(e).splitlines()[0]}") from None


def llm_settings(data: dict, **flags) -> Settings | None:
    """Settings for the model backend, or None when no model is configured anywhere."""
    file = dict(data.get("llm", {}))
    file.pop("cache_dir", None)
    values = {**file}
    if os.environ.get("OPENAI_BASE_URL"):
        values["base_url"] = os.environ["OPENAI_BASE_URL"]
    if os.environ.get("JIXIAO_MODEL"):
        values["model"] = os.environ["JIXIAO_MODEL"]
    values.update({k: v for k, v in flags.items() if v is not None})
    if not values.get("model"):
        return None
    mode = values.get("structured_mode", "auto")
    if mode != "auto" and mode not in MODES:
        raise ConfigError(f"structured mode {mode!r}: choose auto or one of {', '.join(MODES)}")
    return Settings(api_key=os.environ.get("OPENAI_API_KEY"), **values)


def cache_path(data: dict) -> Path | None:
    folder = data.get("llm", {}).get("cache_dir")
    return Path(folder).expanduser() / "jixiao.db" if folder else None

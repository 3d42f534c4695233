"""Settings: one object, loaded once from flags, environment and a TOML file, handed down.

Precedence: command-line flags, then the environment, then the file (``--config``, else
$JIXIAO_CONFIG, else ~/.config/jixiao/config.toml).  The file may hold an ``[llm]`` table (the
fields of `ModelSettings` and ``cache_dir``) and a ``[review]`` table (the fields of
`ReviewConfig`); anything else in it is an error naming the key, so a misspelt section or key is
never silently ignored.  API keys are read from the environment only (OPENAI_API_KEY), never from
files or flags, so they do not end up in shell history or in a config someone shares.

To add a setting: a field on the dataclass or model it belongs to below; the file, the checks and
the defaults follow from it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

OCR_MODES = ("auto", "force", "off")
OCR_ENGINES = ("rapidocr", "tesseract")
BACKENDS = ("rules", "llm", "auto")
MODES = ("json_schema", "tools", "json_object", "prompt")  # structured-output modes, best first


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How files are opened: a password for encrypted PDFs, and when and how pages are OCR'd."""

    password: str | None = None
    ocr: str = "auto"  # auto: pages without a usable text layer, and images; force: every page; off: never
    ocr_engine: str = "rapidocr"
    on_ocr: Callable[[Path, int], None] | None = None  # told of each page OCR'd (seconds each): progress


@dataclass
class ModelSettings:
    """How the model backend calls its endpoint ([llm] in --config, flags, environment)."""

    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)  # in memory only: never logged, cached or written
    structured_mode: str = "auto"
    max_reasks: int = 2
    max_tokens: int | None = None  # a fixed answer budget; None: sized from each table's text (see llm.budget)
    max_tokens_ceiling: int = 4096  # the most a sized budget, or its one raise after a cut answer, may reach
    stream: bool = True  # stream answers, so one that starts repeating itself is stopped at once
    temperature: float = 0.0
    seed: int | None = 0
    timeout: float = 120.0
    connect_timeout: float = 10.0
    max_retries: int = 3
    workers: int = 4
    rpm: float | None = None
    tpm: float | None = None  # tokens a minute (prompt + completion), estimated when sent, corrected on answer
    use_cache: bool = True
    example: bool = True


class ReviewConfig(BaseModel):
    """Thresholds the catalogue marks as practice ([惯例]); override them in the [review] table of --config."""

    # built when first used, not when imported: `jixiao --help` builds no model (pydantic would load
    # its plugins through importlib.metadata for it)
    model_config = ConfigDict(extra="forbid", defer_build=True)
    satisfaction_floor: float = 80  # SAT-01
    low_count_max: float = 1  # APPR-01
    inverse_rate_ceiling: float = 50  # DIR-01
    vague_goal_max_chars: int = 12  # GOAL-02
    funds_tolerance: float = 0.005  # CONS-01/03/04, COST-01 (万元)
    rel_min_clause_chars: int = 6  # REL-02
    rel_batch_min_tables: int = 4  # REL: batch-frequent bigrams
    fuzzy_threshold: float = 0.75  # grounding
    grade_error_for_poor: int = 3  # suggested grade 差 from this many 错误
    grade_warnings_for_fair: int = 3  # 中 from this many 警告 (or any 错误)
    max_crops: int = 400  # page images in review.html: enough for a reviewer, bounded for big runs
    ocr_min_confidence: float = 0.9  # OCR-01: values read with a less sure character are flagged
    ocr_poor_share: float = 0.2  # OCR-02: a table whose OCR'd lines are this often unsure is unreliable as a whole
    project_attributes: list[str] = [  # ATTR-01: the 项目属性 a table may state
        "一次性项目", "经常性项目", "延续性项目", "新增项目", "阶段性项目", "持续性项目", "延续项目", "新增性项目",
        "经常性", "一次性", "延续性", "新增", "延续", "持续性", "其他项目"]
    score_error: float = 10  # table score: 100 − 10 per 错误 − 5 per 警告 − 1 per 建议 (floor 0)
    score_warning: float = 5
    score_suggestion: float = 1


class ConfigError(Exception):
    """Bad configuration: the message is one line naming the file, section or key."""


@dataclass
class Settings:
    """Everything a command needs to know, decided once."""

    backend: str = "rules"  # rules, llm or hybrid: "auto" is resolved when the settings are loaded
    read: ReadOptions = field(default_factory=ReadOptions)
    model: ModelSettings | None = None
    review: ReviewConfig = field(default_factory=ReviewConfig)
    cache_path: Path | None = None  # the model cache and call log (None: the default place)


_SECTIONS = {"llm": {f.name for f in fields(ModelSettings)} - {"api_key", "use_cache"} | {"cache_dir"},
             "review": set(ReviewConfig.model_fields)}


def read_config(path: Path | None) -> dict:
    """The TOML file's tables, checked for unknown sections and keys (nothing else is validated here)."""
    explicit = path is not None
    if path is None:
        env = os.environ.get("JIXIAO_CONFIG")
        default = Path.home() / ".config" / "jixiao" / "config.toml"
        try:
            path = Path(env) if env else (default if default.is_file() else None)
        except OSError as e:  # an unreadable ~/.config
            raise ConfigError(f"{default}: cannot be read: {e.strerror or e}") from None
        explicit = bool(env)
    if path is None:
        return {}
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as e:
        where = "" if explicit else " (the default config file)"
        raise ConfigError(f"{path}{where}: cannot be read: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    for section, value in data.items():
        if section not in _SECTIONS:
            hint = f" (settings go in [review] or [llm]: e.g. [review] {section} = ...)" \
                if any(section in keys for keys in _SECTIONS.values()) else ""
            raise ConfigError(f"{path}: unknown section or key {section!r}; the sections are "
                              f"[{'], ['.join(_SECTIONS)}]{hint}")
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {section!r} must be a table ([{section}])")
        unknown = sorted(set(value) - _SECTIONS[section])
        if unknown:
            raise ConfigError(f"{path}: unknown [{section}] setting(s): {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(_SECTIONS[section]))}")
    return data


def load_settings(config: Path | None = None, *, backend: str = "rules", read: ReadOptions | None = None,
                  **model_flags) -> Settings:
    """The settings of one command: the file read once, then the environment, then the flags.

    `model_flags` are ModelSettings fields given on the command line (None: not given).
    """
    if backend not in BACKENDS:
        raise ConfigError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    data = read_config(config)
    try:
        review = ReviewConfig.model_validate(data.get("review", {}))
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"[review] {key}: {err['msg']}") from None
    llm = dict(data.get("llm", {}))
    cache_dir = llm.pop("cache_dir", None)
    model = _model_settings(llm, model_flags)
    if backend == "auto":  # with a model: the model only where the rules reading is unsure
        backend = "hybrid" if model else "rules"
    if backend == "llm" and model is None:
        raise ConfigError("the llm backend needs a model: --model, $JIXIAO_MODEL or [llm] model in --config")
    return Settings(backend=backend, read=read or ReadOptions(), model=model if backend in ("llm", "hybrid") else None,
                    review=review, cache_path=Path(cache_dir).expanduser() / "jixiao.db" if cache_dir else None)


def review_model_settings(config: Path | None, name: str, **flags) -> ModelSettings:
    """The model of the review's second opinion (`--review-model NAME`): the [llm] settings, the environment
    and the flags of extraction, with NAME as the model."""
    data = read_config(config)
    llm = dict(data.get("llm", {}))
    llm.pop("cache_dir", None)
    return _model_settings(llm, {**flags, "model": name})


def _model_settings(file: dict, flags: dict) -> ModelSettings | None:
    """Settings for the model backend, or None when no model is configured anywhere."""
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
    if values.get("base_url"):
        _check_url(values["base_url"])
    try:
        return ModelSettings(api_key=os.environ.get("OPENAI_API_KEY"), **values)
    except TypeError as e:
        raise ConfigError(f"[llm]: {e}") from None


def _check_url(url: str) -> None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a bad port or bracket
    except ValueError as e:
        raise ConfigError(f"base URL {url!r} is not a valid URL: {e}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base URL {url!r} is not a valid URL: it needs http:// or https:// and a host")

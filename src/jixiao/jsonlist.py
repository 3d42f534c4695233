"""JSON lists written and read one item at a time: a file of any number of tables is never held
whole, and its text is exactly `json.dumps(list(items), ensure_ascii=False, indent=2) + "\n"`.

Items are encoded by pydantic's serialiser (pydantic_core, in Rust, five times faster than the
json module, whose indented output runs in pure Python).  It writes the same text as json.dumps
except for floats it writes another way (1e-6 against 1e-06, 0.00001 against 1e-05): those items
take the json module's way, so a file never depends on which encoder wrote it (tests/test_jsonlist.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pydantic_core

# where pydantic writes a float unlike the json module: a negative exponent (1e-7 against 1e-07), or
# small ones without one (0.00001 against 1e-05).  Only number tokens are looked at: in indented
# JSON each starts the text, follows a key's `": ` or starts a line.  (Text inside a string only
# matches where it holds such a sequence itself, and then merely takes the slow way; a bare
# `\de\d` would match most sha256 digests and send nearly every table the slow way.)
_UNLIKE = re.compile(r"(?:^|\": |\n *)-?(?:0\.0000|\d+(?:\.\d+)?[eE]-)")
_SPACE = re.compile(r"[ \t\r\n]*")  # JSON's whitespace


def dumps(item) -> str:
    """`json.dumps(item, ensure_ascii=False, indent=2)`, fast where the two encoders agree."""
    try:
        text = pydantic_core.to_json(item, indent=2, inf_nan_mode="constants").decode()
    except pydantic_core.PydanticSerializationError:  # e.g. a lone surrogate: json.dumps says what it says
        return json.dumps(item, ensure_ascii=False, indent=2)
    return text if alike(text) else json.dumps(item, ensure_ascii=False, indent=2)


def alike(text: str) -> bool:
    """Whether pydantic's text of an item is what the json module writes (see _UNLIKE)."""
    # two substring scans first: the pattern starts with an alternation, which makes the regex
    # engine try it at every character of text that almost never holds either sequence
    return ("e-" not in text and "E-" not in text and "0.0000" not in text) or not _UNLIKE.search(text)


class JsonListWriter:
    """Writes what json_list writes, one item at a time, into an open file (set `f`)."""

    def __init__(self, f: IO[str] | None = None):
        self.f = f
        self.first = True

    def add(self, item) -> None:
        self.add_json(dumps(item))

    def add_json(self, text: str) -> None:
        """An item already encoded, as `json.dumps(item, ensure_ascii=False, indent=2)` encodes it."""
        self.f.write(("[\n  " if self.first else ",\n  ") + text.replace("\n", "\n  "))
        self.first = False

    def close(self) -> None:
        self.f.write("[]\n" if self.first else "\n]\n")


def json_list(items) -> Iterator[str]:
    """`json.dumps(list(items), ensure_ascii=False, indent=2) + "\n"`, piece by piece."""
    first = True
    for item in items:
        yield ("[\n  " if first else ",\n  ") + dumps(item).replace("\n", "\n  ")
        first = False
    yield "[]\n" if first else "\n]\n"


def read_json_list(source, chunk: int = 1 << 20) -> Iterator:
    """The items of a JSON list (a path, or an open text stream), one at a time, as json_list wrote
    them: a file of any number of tables is read in chunks and never held whole."""
    decoder = json.JSONDecoder()
    f = open(source, encoding="utf-8") if isinstance(source, (str, Path)) else source
    buf, at, eof = "", 0, False

    def more() -> None:
        nonlocal buf, at, eof
        data = f.read(chunk)
        eof = not data
        buf, at = buf[at:] + data, 0

    def skip() -> str:  # past whitespace, reading on as needed: the next character, "" at the end
        nonlocal at
        while True:
            while at < len(buf) and buf[at] in " \t\r\n":
                at += 1
            if at < len(buf) or eof:
                return buf[at:at + 1]
            more()

    try:
        more()
        if skip() != "[":
            raise ValueError("not a JSON list")
        at += 1
        first = True
        while (c := skip()) != "]":
            if not first:
                if c != ",":
                    raise ValueError(f"expected ',' or ']' in a JSON list, got {c!r}")
                at += 1
                skip()
            while True:  # an item cut by the end of the chunk read so far: read on and parse it again
                try:
                    item, end = decoder.raw_decode(buf, at)
                    # complete only when what follows is read too: a number cut as "-0|.5" parses
                    nxt = _SPACE.match(buf, end).end()
                    if eof or buf[nxt:nxt + 1] in (",", "]") and nxt < len(buf):
                        break
                except json.JSONDecodeError:
                    if eof:
                        raise
                more()
            at = end
            first = False
            yield item
    finally:
        if f is not source:
            f.close()



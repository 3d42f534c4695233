"""Polite model calls: requests a minute (--rpm), tokens a minute (--tpm), and what the server says.

One `Limiter` is shared by all the workers of an extractor:

- rpm: requests are spaced 60/rpm seconds apart (a leaky bucket);
- tpm: the tokens of the last 60 seconds, counted with each request's estimate when it is sent
  and corrected to the usage the server reports when it answers, stay under the limit;
- the server's own limits: after each answer, `x-ratelimit-remaining-requests` /
  `x-ratelimit-remaining-tokens` at zero (or tokens below the next request's estimate) hold every
  worker until `x-ratelimit-reset-requests` / `-tokens` (OpenAI's "6m0s", "20ms" durations);
  a 429's `retry-after` (seconds or an HTTP date) holds them as well, while the SDK's own retry
  waits it out for the request that got it.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | None) -> float | None:
    """Seconds in "1s", "6m0s", "20ms", "1h2m3.5s" or a bare number; None when unreadable."""
    if not text:
        return None
    text = text.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNITS[u] for n, u in parts)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a `retry-after` (or `retry-after-ms`) header asks for."""
    if ms := headers.get("retry-after-ms"):
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = parse_duration(value)
    if seconds is not None:
        return seconds
    try:
        from email.utils import parsedate_to_datetime

        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def estimate_tokens(messages: list[dict], completion: int) -> int:
    """A request's tokens before it is sent: about one token for 1.5 characters of Chinese prompt
    (JSON punctuation included), plus the completion expected."""
    chars = sum(len(m.get("content") or "") for m in messages)
    return int(chars / 1.5) + completion


class Limiter:
    def __init__(self, rpm: float | None = None, tpm: float | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.interval = 60.0 / rpm if rpm else 0.0
        self.tpm = tpm or None
        self.clock, self.sleep = clock, sleep
        self.lock = threading.Lock()
        self.next = 0.0  # when the next request may go (rpm)
        self.hold_until = 0.0  # the server asked to wait until then
        self.window: deque = deque()  # [sent at, tokens] of the last minute
        self.completion_avg = 1000.0  # expected completion tokens, learnt from answers

    def expected_completion(self) -> int:
        return int(self.completion_avg)

    def wait(self, tokens: int = 0) -> list:
        """Block until a request of about `tokens` tokens may go; returns its ticket for `done`."""
        while True:
            with self.lock:
                now = self.clock()
                while self.window and self.window[0][0] <= now - 60.0:
                    self.window.popleft()
                delay = max(0.0, self.hold_until - now, self.next - now)
                if not delay and self.tpm and self.window:
                    used = sum(t for _, t in self.window)
                    if used + tokens > self.tpm:
                        delay = self.window[0][0] + 60.0 - now
                if delay <= 0:
                    ticket = [now, tokens]
                    self.window.append(ticket)
                    self.next = now + self.interval
                    return ticket
            self.sleep(min(delay, 60.0))

    def done(self, ticket: list | None, used: int | None, completion: int | None,
             headers: Mapping[str, str] | None) -> None:
        """A request answered: its real token count, and the server's rate-limit headers."""
        with self.lock:
            if ticket is not None and used is not None:
                ticket[1] = used
            if completion:
                self.completion_avg = 0.8 * self.completion_avg + 0.2 * completion
            if not headers:
                return
            now = self.clock()
            hold = retry_after(headers) or 0.0
            requests_left = _int(headers.get("x-ratelimit-remaining-requests"))
            tokens_left = _int(headers.get("x-ratelimit-remaining-tokens"))
            if requests_left is not None and requests_left <= 0:
                hold = max(hold, parse_duration(headers.get("x-ratelimit-reset-requests")) or 1.0)
            if tokens_left is not None and tokens_left < self.expected_completion():
                hold = max(hold, parse_duration(headers.get("x-ratelimit-reset-tokens")) or 1.0)
            if hold:
                self.hold_until = max(self.hold_until, now + hold)


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None

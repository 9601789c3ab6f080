"""The teacher's key: ``CNNLAB_TEACHER_KEY``, or one drawn at the first start and said in the console.

A wrong key is slowed down: each wrong try in the last minute doubles the wait before the
answer (0.5 s, 1 s, 2 s … at most 8 s), for every session of the server alike, so guessing
is hopeless while the teacher, who types it right, never waits.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time

from models import settings

log = logging.getLogger("cnnlab.teacher")
WINDOW_S = 60.0
MAX_WAIT_S = 8.0

_lock = threading.Lock()
_drawn: str | None = None
_failures: list[float] = []  # when the recent wrong tries were


def key() -> str:
    """The key in force; a drawn one is said once, in the console."""
    global _drawn
    configured = settings.current().teacher_key
    if configured:
        return configured
    with _lock:
        if _drawn is None:
            _drawn = secrets.token_urlsafe(9)
            log.warning("The teacher's dashboard key for this server is %s (set CNNLAB_TEACHER_KEY to choose one).",
                        _drawn)
        return _drawn


def wait_before_answer() -> float:
    """Seconds a wrong try waits now: doubling with each wrong try of the last minute."""
    with _lock:
        now = time.monotonic()
        _failures[:] = [t for t in _failures if now - t < WINDOW_S]
        return min(MAX_WAIT_S, 0.5 * 2 ** len(_failures))


def check(given: str, sleep=time.sleep) -> bool:
    """Whether ``given`` is the key (compared in constant time); a wrong one waits first."""
    if hmac.compare_digest(given.encode(), key().encode()):
        return True
    sleep(wait_before_answer())
    with _lock:
        _failures.append(time.monotonic())
    return False

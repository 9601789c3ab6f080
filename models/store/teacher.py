"""The teacher's key: ``CNNLAB_TEACHER_KEY``, or one drawn at the first start and said in the console.

Guessing it is hopeless, for two reasons that hold together:

* **The key is long.** A chosen key shorter than ``MIN_LENGTH`` characters is refused at start
  (``models.settings``: a sentence in the console, never the key itself); a drawn one is 24
  characters of ``secrets.token_urlsafe`` (144 random bits).
* **Every try takes a turn of one gate.** The class store holds the gate (``Store.take_turn``), so
  every session of every app server on that store shares it: one try per ``TURN_S``, whichever
  tab, connection or server it comes from. A try waits for its turn before the key is even
  compared, so closing the connection early learns nothing sooner; when the turns are booked more
  than ``MAX_WAIT_S`` ahead, a try is refused without being compared. At one guess a second,
  2^144 keys (or the 16 characters of a chosen one) outlast every school year there will be.

Each wrong try is logged with its address and kept in the store (``Store.misses``). The teacher,
who types the key right, waits for nothing unless someone is guessing at that moment. When the
store cannot be written (a full disk, a database gone), this server keeps the gate itself
(``_LocalGate``): the teacher still gets in, and guessing stays as slow on this server.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time

from models import settings
from models.store import database
from models.store.schema import TEACHER_GATE

log = logging.getLogger("cnnlab.teacher")
MIN_LENGTH = settings.TEACHER_KEY_LENGTH
DRAWN_BYTES = 18  # secrets.token_urlsafe(18): 24 characters, 144 random bits
TURN_S = 1.0  # one try of the key per second, in the whole class
MAX_WAIT_S = 5.0  # turns booked further ahead than this: the try is refused, not queued

_lock = threading.Lock()
_drawn: str | None = None


class _LocalGate:
    """The gate of ``Store.take_turn``, kept in this process: for when the store cannot be written."""

    def __init__(self):
        self._lock, self._next_at = threading.Lock(), 0.0

    def take_turn(self, turn_s: float, max_wait_s: float) -> float | None:
        with self._lock:
            now = time.time()
            turn = max(now, self._next_at)
            if turn - now > max_wait_s:
                return None
            self._next_at = turn + turn_s
            return turn


_local_gate = _LocalGate()


def key() -> str:
    """The key in force; a drawn one is said once, in the console."""
    global _drawn
    configured = settings.current().teacher_key
    if configured:
        return configured
    with _lock:
        if _drawn is None:
            _drawn = secrets.token_urlsafe(DRAWN_BYTES)
            log.warning("The teacher's dashboard key for this server is %s (set CNNLAB_TEACHER_KEY to choose one, "
                        "of at least %d characters).", _drawn, MIN_LENGTH)
        return _drawn


def check(given: str, address: str = "?", store: database.Store | None = None, sleep=time.sleep) -> bool | None:
    """Whether ``given`` is the key, compared in constant time once this try's turn has come;
    None when too many tries are waiting for theirs (nothing was compared)."""
    store = store or database.store()
    try:
        turn = store.take_turn(TEACHER_GATE, TURN_S, MAX_WAIT_S)
    except database.StoreFailed as err:
        log.error("the key's gate cannot be kept in the class store (%s): this server keeps it", err.__class__.__name__)
        turn = _local_gate.take_turn(TURN_S, MAX_WAIT_S)
    if turn is None:
        log.info("a teacher's key from %s was refused unread: too many tries are waiting", address)
        return None
    sleep(max(0.0, turn - time.time()))
    if hmac.compare_digest(given.encode(), key().encode()):
        return True
    log.warning("a wrong teacher's key from %s", address)
    try:
        store.note_miss(turn, address)
    except database.StoreFailed:
        pass  # said in the console just now; the store cannot keep it
    return False

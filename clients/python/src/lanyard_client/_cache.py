"""A thread-safe cache of values that expire, with one load per key at a time."""

from __future__ import annotations

import threading
from typing import Callable, Dict, Generic, Hashable, Tuple, TypeVar

T = TypeVar("T")

# (value, expires_at as seconds since the epoch)
Loaded = Tuple[T, float]


class ExpiringCache(Generic[T]):
    """``get(key, load)`` returns the cached value while it has more than ``skew_seconds`` left,
    else calls ``load()``. Threads that ask while a load for the same key runs wait for it and
    share its value: ten threads exchanging at once make one request. A failed load caches
    nothing (the next caller loads again)."""

    def __init__(self, now: Callable[[], float], skew_seconds: float) -> None:
        self._now = now
        self._skew = skew_seconds
        self._entries: Dict[Hashable, Tuple[T, float]] = {}
        self._key_locks: Dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def _fresh(self, key: Hashable) -> Tuple[bool, T]:
        entry = self._entries.get(key)
        if entry is not None and entry[1] - self._skew > self._now():
            return True, entry[0]
        return False, None  # type: ignore[return-value]

    def get(self, key: Hashable, load: Callable[[], Loaded[T]]) -> T:
        with self._lock:
            fresh, value = self._fresh(key)
            if fresh:
                return value
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            # Another thread may have loaded while this one waited.
            with self._lock:
                fresh, value = self._fresh(key)
                if fresh:
                    return value
            value, expires_at = load()
            with self._lock:
                self._entries[key] = (value, expires_at)
            return value

    def has(self, key: Hashable) -> bool:
        """True when ``get`` would answer ``key`` without loading."""
        with self._lock:
            return self._fresh(key)[0]

    def delete(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

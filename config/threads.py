"""Background threads that live once per serving process: the embedded default's stand-ins for workers."""

import os
import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class ProcessThread(Protocol):
    pid: int  # the process that started the thread

    @property
    def running(self) -> bool: ...


T = TypeVar("T", bound=ProcessThread)


class PerProcess(Generic[T]):
    """This process's one owner of a background thread: made on first use, and made again in a forked child
    (threads do not survive a fork) or once the thread has stopped."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._current: T | None = None

    def get(self) -> T:
        with self._lock:
            current = self._current
            if current is None or current.pid != os.getpid() or not current.running:
                self._current = current = self._factory()
            return current

    def take(self) -> T | None:
        """Forget this process's owner and hand it over (to stop it), if there is one."""
        with self._lock:
            current, self._current = self._current, None
            return current

    def after_fork_in_child(self) -> T | None:
        """In a forked child: a fresh lock (another thread may have held it at the fork), and the parent's owner
        handed over once, whose thread did not come along."""
        self._lock = threading.Lock()
        inherited = self._current
        if inherited is None or inherited.pid == os.getpid():
            return None
        self._current = None
        return inherited

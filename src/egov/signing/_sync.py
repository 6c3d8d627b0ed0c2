"""pyHanko's synchronous API calls asyncio.run(), which fails in a thread whose event loop is
already running (an async view, a Playwright-driven test). `off_event_loop` runs the function
in a helper thread in that case, and directly otherwise."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def off_event_loop(func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not _loop_running():
            return func(*args, **kwargs)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="egov-signing") as pool:
            return pool.submit(func, *args, **kwargs).result()

    return wrapper

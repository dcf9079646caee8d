"""The naive resolver ``bench/run.py`` compares with: the gateway as resolvers without
dataloaders would call the systems, one upstream call per parent object.

Its loaders neither batch nor remember what they loaded, and the prefetch (which exists
for batching) is left out: each field asks for itself. This is for benchmarks only, so
it lives here rather than among the gateway's settings: this process swaps the runtime's
loaders and the prefetch before serving, then runs ``supplygraph serve`` as usual. Run
it without the whole-answer cache (``GATEWAY_RESPONSE_CACHE=0``), from the repository root:

    python -m bench.naive_gateway serve --port 8000
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Hashable
from typing import Any, TypeVar

from aiodataloader import Loader, dispatch_queue_batch

from gateway import cli
from gateway.runtime import Runtime
from resolvers.fetchers import Fetcher
from resolvers.loaders import Loaders, RequestLoader
from schema import prefetch

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")


class NaiveLoader(RequestLoader[KeyT, ValueT]):
    """One upstream call per ``load``: no batch and no per-request memo."""

    def __init__(self, fetcher: Fetcher[KeyT, ValueT]) -> None:
        super().__init__(fetcher)
        # aiodataloader's own switch: load() neither reads nor fills the memo.
        self.cache = False
        self._calls: set[asyncio.Future[None]] = set()

    def do_resolve_reject(self, key: KeyT, future: asyncio.Future[ValueT]) -> None:
        call = asyncio.ensure_future(dispatch_queue_batch(self, [Loader(key=key, future=future)]))
        self._calls.add(call)
        call.add_done_callback(self._calls.discard)


def naive_loaders(runtime: Runtime, *_request: object, **_options: object) -> Loaders:
    """In place of ``Runtime.loaders_for``: the same fetchers, uncached and unbatched."""
    return Loaders(**{name: NaiveLoader(fetcher) for name, fetcher in runtime.fetchers.items()})


async def _no_prefetch(*_args: Any, **_kwargs: Any) -> None:
    return None


def _no_prefetch_now(*_args: Any, **_kwargs: Any) -> None:
    return None


def leave_out_prefetch() -> list[str]:
    """Every public function of ``schema.prefetch`` made a no-op; their names.

    Each would load a level's keys ahead of its fields, which then (with no memo) load
    them again: the naive resolver would make more calls than it stands for.
    """
    replaced: list[str] = []
    for name, function in list(vars(prefetch).items()):
        if name.startswith("_") or not inspect.isfunction(function):
            continue
        if function.__module__ != prefetch.__name__:
            continue
        coroutine = inspect.iscoroutinefunction(function)
        setattr(prefetch, name, _no_prefetch if coroutine else _no_prefetch_now)
        replaced.append(name)
    if not replaced:
        raise RuntimeError("schema.prefetch has no public function left to replace")
    return replaced


def main() -> None:
    Runtime.loaders_for = naive_loaders  # type: ignore[method-assign, assignment]
    leave_out_prefetch()
    cli.main(sys.argv[1:])


if __name__ == "__main__":
    main()

"""Loading a query's joins a level at a time, before graphql-core walks the objects.

Left to itself, graphql-core reaches each order's ``productionPlans``, each line's
``product`` … one object at a time, and each such field is a coroutine awaiting a
dataloader future: the 50-customer dashboard resolves ~7,400 of them. The dataloaders
still batch the upstream calls, but the gateway spends most of its CPU switching between
those coroutines. So a root resolver walks the records it is about to return with what
the query selects below them: each level's keys go to the loaders at once (the same
batches, so the same upstream calls), and the fields then find their values settled and
resolve without awaiting (``RequestLoader.build_now``).

The walk knows no type: which fields join what, and what is below them, are the rows of
``schema/join_fields.py``. On each level the reads that the next level waits on go out
first, and the leaves (reads with nothing selected below them) after them.

Only what the query selects and the viewer may see (``schema/access.py``) is loaded. A
failure is not raised here: the fields that need the failed keys raise it themselves, so
the error lands on their path and the rest of the answer still comes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable, Sequence
from typing import Any, TypeVar

from resolvers.loaders import Loaders, RequestLoader
from schema.access import permits
from schema.context import GatewayContext
from schema.join_fields import ROWS_BY_TYPE, JoinField, Read
from schema.lookahead import Selection
from schema.viewer import Viewer

KeyT = TypeVar("KeyT", bound=Hashable)

# A level with nothing below it is waited for only past this many keys (see _leaf).
WAIT_FOR_LEAVES_OVER = 50


async def walk(
    context: GatewayContext, type_name: str, records: Sequence[Any], selection: Selection
) -> None:
    """Load what the query selects below ``records``, objects of ``type_name``, a level at
    a time; returns once every level is loaded but a small last one, still in flight."""
    level = _Level(context)
    level.plan(type_name, records, selection)
    await level.run()


async def walk_page(
    context: GatewayContext,
    type_name: str,
    loader: RequestLoader[str, Any],
    records: Sequence[Any],
    selection: Selection,
) -> None:
    """``walk`` below a page of listed records, once they are in the request's ``loader``
    by id: a field that reads one of them again by id is answered without a call."""
    for record in records:
        loader.prime(record.id, record)
    await walk(context, type_name, records, selection)


def start(
    context: GatewayContext, type_name: str, records: Sequence[Any], selection: Selection
) -> None:
    """Start the reads below ``records`` and return at once: the fields await them.

    For a type whose rows have nothing below them: the tracking view, whose reads are
    keyed by the order id the client gave and so need not wait for the order.
    """
    if any(row.below is not None or row.own is not None for row in ROWS_BY_TYPE.get(type_name, ())):
        raise ValueError(f"{type_name} has joins with levels below them: walk it instead")
    level = _Level(context)
    level.plan(type_name, records, selection)
    for join, keys in level.leaves.items():
        _start(_loader(context, join), list(keys))


class _Level:
    """The reads of one level: those the next level waits on, then the leaves.

    Fields whose records are at hand (``within``) add the reads of the level below them
    to this one: they cost no round trip, so they need not wait for one.
    """

    def __init__(self, context: GatewayContext) -> None:
        self.context = context
        self.waited_on: list[Awaitable[object]] = []
        # Keys by join, in the order first asked: one leaf read per loader and level.
        self.leaves: dict[str, dict[Hashable, None]] = {}

    def plan(self, type_name: str, records: Sequence[Any], selection: Selection) -> None:
        if not records:
            return
        for row in self._wanted(type_name, selection):
            below = selection[row.field_name]
            if row.own is not None:
                walk_field = _FieldWalk(self.context, row, selection)
                self.waited_on.append(row.own.load(walk_field, records))
            elif row.within is not None:
                if row.below is not None and self._loads_below(row.below, below):
                    children = [child for record in records for child in row.within(record)]
                    self.plan(row.below, children, below)
            elif row.below is not None and self._loads_below(row.below, below):
                [read] = row.reads
                keys = list(_keys(read, records))
                if keys:
                    self.waited_on.append(_then(self.context, row, keys, below))
            else:
                for read in row.reads:
                    self.leaves.setdefault(read.join, {}).update(_keys(read, records))

    async def run(self) -> None:
        jobs = self.waited_on + [
            _leaf(_loader(self.context, join), list(keys))
            for join, keys in self.leaves.items()
            if keys
        ]
        if jobs:
            await asyncio.gather(*jobs, return_exceptions=True)

    def _wanted(self, type_name: str, selection: Selection) -> list[JoinField[Any]]:
        """The rows of ``type_name`` the query selects and the viewer may see."""
        viewer = self.context.viewer
        return [
            row
            for row in ROWS_BY_TYPE.get(type_name, ())
            if row.field_name in selection and permits(viewer, type_name, row.field_name)
        ]

    def _loads_below(self, type_name: str, selection: Selection) -> bool:
        """Whether anything below is to be read: if not, a read of this type is a leaf."""
        return any(
            row.within is None
            or (row.below is not None and self._loads_below(row.below, selection[row.field_name]))
            for row in self._wanted(type_name, selection)
        )


class _FieldWalk:
    """The walk as a row's own loading function sees it (``join_fields.FieldWalk``)."""

    def __init__(self, context: GatewayContext, row: JoinField[Any], selection: Selection) -> None:
        self._context = context
        self._row = row
        self._selection = selection

    @property
    def loaders(self) -> Loaders:
        return self._context.loaders

    @property
    def viewer(self) -> Viewer:
        return self._context.viewer

    def arguments(self) -> list[dict[str, Any]]:
        return self._selection.arguments(self._row.field_name)

    async def loaded(self, join: str, keys: list[KeyT]) -> dict[KeyT, Any]:
        return await _loaded(_loader(self._context, join), keys)

    async def below(self, records: Sequence[Any]) -> None:
        if self._row.below is not None:
            below = self._selection[self._row.field_name]
            await walk(self._context, self._row.below, records, below)


def _keys(read: Read[Any], records: Sequence[Any]) -> dict[Hashable, None]:
    """The keys of ``records`` for ``read``, each once, in the order of the records."""
    return dict.fromkeys(key for record in records for key in read.keys(record))


def _loader(context: GatewayContext, join: str) -> RequestLoader[Any, Any]:
    loader: RequestLoader[Any, Any] = getattr(context.loaders, join)
    return loader


async def _then(
    context: GatewayContext, row: JoinField[Any], keys: list[Hashable], selection: Selection
) -> None:
    """Read ``keys`` of the row's one join, then walk on below with what they gave."""
    assert row.below is not None
    found = await _loaded(_loader(context, row.reads[0].join), keys)
    if row.many:
        records = [record for values in found.values() for record in values]
    else:
        records = [value for value in found.values() if value is not None]
    await walk(context, row.below, records, selection)


async def _leaf(loader: RequestLoader[KeyT, Any], keys: list[KeyT]) -> None:
    """Load ``keys``, which nothing further below needs; wait only when there are many.

    A few keys are only started: the fields that read them await them, and graphql-core
    completes the rest of the answer while they are in flight instead of after (the
    tail of a cold availability query: ~1.5 ms). Many are waited for: that many fields
    awaiting one by one would cost more than the wait (see the module's docstring).
    """
    if len(keys) > WAIT_FOR_LEAVES_OVER:
        await _loaded(loader, keys)
        return
    _start(loader, keys)


def _start(loader: RequestLoader[KeyT, Any], keys: list[KeyT]) -> None:
    for future in [loader.load(key) for key in keys]:
        # Errors reach the fields that read these keys; nothing is lost unobserved.
        future.add_done_callback(_observe)


def _observe(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


async def _loaded(loader: RequestLoader[KeyT, Any], keys: list[KeyT]) -> dict[KeyT, Any]:
    """What ``loader`` gives for ``keys``, leaving out the keys whose batch failed."""
    values = await asyncio.gather(*(loader.load(key) for key in keys), return_exceptions=True)
    return {
        key: value
        for key, value in zip(keys, values, strict=True)
        if not isinstance(value, BaseException)
    }

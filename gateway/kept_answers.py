"""The HTTP side of whole-answer caching (``cache.response_cache``): which answers may be
kept, and how a kept one goes back out.

Answers that may be kept also carry an ``ETag`` (a digest of the body): a client that
sends it back in ``If-None-Match`` gets ``304 Not Modified`` and no body while the answer
is unchanged — a phone polling one order's tracking view downloads it once per change,
even when the answer was rebuilt after an unrelated webhook.

Only a single query sent over GET or POST comes here; a batch, a mutation, a
subscription or a stream never does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response
from strawberry.types.execution import ExecutionResult
from strawberry.types.graphql import OperationType

from cache.response_cache import CachedAnswer, Lookup, ResponseCache, View
from cache.stale_log import StaleLog
from gateway.http_response import content_type
from gateway.observability.metrics import ANSWER_CACHE
from gateway.observability.request_context import current_request
from gateway.operation_choice import OperationChoice
from schema.viewer import Viewer


def declared_variables(
    choice: OperationChoice, variables: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The variables the operation declares; graphql-core ignores the others, and so
    does the answer, so they must not make a new entry of it."""
    definition = choice.definition
    if definition is None or not variables:
        return {}
    declared = {node.variable.name.value for node in definition.variable_definitions or ()}
    return {name: value for name, value in variables.items() if name in declared}


def view_of(viewer: Viewer) -> View:
    return View(customer_id=viewer.customer_id, scopes=viewer.scopes)


def count(result: str) -> None:
    ANSWER_CACHE.labels(result=result).inc()


def note_hit(choice: OperationChoice) -> None:
    """Tells the request's record what ran, as the operations extension would have."""
    count("hit")
    record = current_request()
    if record is None:
        return
    definition = choice.definition
    record.operation = definition.name.value if definition and definition.name else None
    record.operation_type = OperationType.QUERY.value
    record.outcome = "ok"


def keepable(result: ExecutionResult, stale_log: StaleLog) -> bool:
    """An answer may be kept when it is complete, fresh, and says how long it stays so."""
    return (
        not result.errors
        and result.data is not None
        and not stale_log
        and stale_log.fresh_for_s is not None
    )


async def keep_answer(
    answers: ResponseCache, key: str, body: bytes, etag: str, stale_log: StaleLog, lookup: Lookup
) -> None:
    """Keeps a keepable answer (``keepable``) for as long as its records stay fresh."""
    if stale_log.fresh_for_s is None:
        return  # not keepable(): nothing says how long it stays fresh
    kept = await answers.keep(
        key,
        body,
        etag=etag,
        fresh_for_s=stale_log.fresh_for_s,
        systems=sorted(stale_log.systems),
        generations=lookup.generations,
    )
    if kept:
        count("kept")


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, as for GET)."""
    if not if_none_match:
        return False
    tags = (tag.strip() for tag in if_none_match.split(","))
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)


def kept_response(answer: CachedAnswer, media_type: str, if_none_match: str | None) -> Response:
    etag = answer.etag
    headers = {"Vary": "Accept", "Age": str(int(answer.age_s)), "X-Cache": "hit", "ETag": etag}
    if matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(
        answer.body, status_code=200, headers=headers, media_type=content_type(media_type)
    )


def tagged(response: Response, etag: str, if_none_match: str | None) -> Response:
    """A built answer with its ``ETag``, or ``304`` when the client already has it."""
    if matches(if_none_match, etag):
        return Response(status_code=304, headers={"Vary": "Accept", "ETag": etag})
    response.headers["ETag"] = etag
    return response

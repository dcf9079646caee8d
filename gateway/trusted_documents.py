"""Trusted documents: with ``GATEWAY_TRUSTED_DOCUMENTS=path`` only listed operations run.

The manifest is what client build tools write:

- Apollo's persisted-query manifest (``generate-persisted-query-manifest``):
  ``{"format": "apollo-persisted-query-manifest", "version": 1,
  "operations": [{"id", "name", "type", "body"}]}``, ``id`` the body's SHA-256;
- Relay's ``persisted_queries.json`` (``relay-compiler`` with a local persist config):
  ``{"<id>": "<text>"}``, the id a hash of the text (MD5 or SHA-256 by configuration).

A request names an operation by its id (``documentId`` or ``id``, or Apollo's
``extensions.persistedQuery.sha256Hash``) or sends a full text whose SHA-256 is a listed
text's. Anything else is refused with ``PERSISTED_QUERY_NOT_ALLOWED`` (400) before it is
parsed: an attacker cannot run the expensive query the clients never send. Automatic
persisted queries are off in this mode (there is nothing to register).

The HTTP endpoint resolves ids (``resolve``); ``OnlyTrustedDocuments`` holds every
transport (WebSocket, SSE) to the list too, by the text's hash, as a schema extension.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData

from core.errors import ConfigurationError
from gateway.http_request import RequestedOperation
from gateway.persisted_queries import PersistedQueryError, persisted_hash
from schema.error_codes import PERSISTED_QUERY_NOT_ALLOWED

NOT_ALLOWED = PERSISTED_QUERY_NOT_ALLOWED
APOLLO_FORMAT = "apollo-persisted-query-manifest"


class DocumentNotTrusted(Exception):
    """The request is not one of the listed operations; ``message`` tells the client why."""

    code = NOT_ALLOWED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TrustedDocuments:
    # id (as the manifest spells it, lower case) -> text
    by_id: Mapping[str, str]
    # SHA-256 of every listed text: what a full text or a WebSocket operation is checked by
    text_hashes: frozenset[str]

    @classmethod
    def from_texts(cls, by_id: Mapping[str, str]) -> TrustedDocuments:
        ids = {key.lower(): text for key, text in by_id.items()}
        return cls(ids, frozenset(text_hash(text) for text in ids.values()))

    @classmethod
    def load(cls, path: str) -> TrustedDocuments:
        """``ConfigurationError`` naming the problem: the gateway must not start on it."""
        where = f"GATEWAY_TRUSTED_DOCUMENTS ({path})"
        try:
            manifest = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise ConfigurationError(f"{where} cannot be read: {error.strerror}") from None
        except (ValueError, UnicodeDecodeError) as error:
            raise ConfigurationError(f"{where} is not JSON: {error}") from None
        by_id = manifest_texts(manifest, where)
        if not by_id:
            raise ConfigurationError(f"{where} lists no operations: nothing could run")
        return cls.from_texts(by_id)

    def allows_text(self, text: str) -> bool:
        return text_hash(text) in self.text_hashes

    def resolve(self, request: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its listed text filled in; ``DocumentNotTrusted`` otherwise."""
        named = document_id_of(request)
        if named is not None:
            text = self.by_id.get(named.lower())
            if text is None:
                raise DocumentNotTrusted(
                    f"no trusted document has the id {named!r}; this gateway runs only the "
                    "operations of its manifest"
                )
            if request.query and request.query != text:
                raise DocumentNotTrusted("the query sent is not the trusted document of its id")
            request.query = text
            return request
        if request.query and self.allows_text(request.query):
            return request
        raise DocumentNotTrusted(
            "this gateway runs only trusted documents: send a listed operation's id "
            "(documentId, or extensions.persistedQuery.sha256Hash) or its exact text"
        )


def manifest_texts(manifest: object, where: str) -> dict[str, str]:
    if isinstance(manifest, dict) and manifest.get("format") == APOLLO_FORMAT:
        if manifest.get("version") != 1:
            raise ConfigurationError(f"{where}: only version 1 of Apollo's manifest is known")
        operations = manifest.get("operations")
        if not isinstance(operations, list):
            raise ConfigurationError(f"{where}: `operations` must be a list")
        texts: dict[str, str] = {}
        for index, operation in enumerate(operations):
            if not (
                isinstance(operation, dict)
                and isinstance(operation.get("id"), str)
                and isinstance(operation.get("body"), str)
            ):
                raise ConfigurationError(
                    f"{where}: operation {index} needs a string `id` and `body`"
                )
            if text_hash(operation["body"]) != operation["id"].lower():
                # Apollo's ids are the body's SHA-256: anything else is a broken manifest.
                raise ConfigurationError(
                    f"{where}: operation {index} ({operation.get('name')}) has an id that "
                    "is not its body's SHA-256"
                )
            texts[operation["id"]] = operation["body"]
        return texts
    if isinstance(manifest, dict) and all(
        isinstance(key, str) and isinstance(value, str) for key, value in manifest.items()
    ):
        return dict(manifest)  # Relay: {id: text}
    raise ConfigurationError(
        f"{where} is neither Apollo's persisted-query manifest nor Relay's {{id: text}} map"
    )


def document_id_of(request: GraphQLRequestData) -> str | None:
    """The id a request names its operation by, if any."""
    if isinstance(request, RequestedOperation) and request.document_id:
        return request.document_id
    try:
        return persisted_hash(request.extensions)
    except PersistedQueryError as error:
        raise DocumentNotTrusted(error.message) from None


class OnlyTrustedDocuments(SchemaExtension):
    """Every operation, whatever its transport, must be a listed text."""

    def __init__(self, trusted: TrustedDocuments) -> None:
        self.trusted = trusted

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if not self.trusted.allows_text(context.query or ""):
            error = GraphQLError(
                "this gateway runs only trusted documents; this operation is not one",
                extensions={"code": NOT_ALLOWED},
            )
            context.pre_execution_errors = [error]
            # strawberry stops before parsing once pre_execution_errors is set.
        yield

"""Which media type a GraphQL response is written in, from the client's ``Accept`` header.

GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/) has two response
media types. ``application/graphql-response+json`` lets the status code say what
happened (a request that was never executed gets a 4xx); ``application/json`` is the
legacy one, where every well-formed request gets 200. The server answers in the
supported type the client ranks highest:

* no ``Accept`` header, or only wildcards (``*/*``, ``application/*``): ``application/json``,
  as the spec asks until clients have moved over;
* the type with the highest quality wins; for equal quality the more specific match
  wins, then the one listed first;
* nothing acceptable (``Accept: text/html`` on an operation, or every supported type
  with ``q=0``): None, which the endpoint answers with 406.
"""

from __future__ import annotations

from dataclasses import dataclass

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"

# In order of preference when the client ranks them equally through one wildcard.
SUPPORTED = (APPLICATION_JSON, GRAPHQL_RESPONSE_JSON)


@dataclass(frozen=True, slots=True)
class MediaRange:
    type: str
    subtype: str
    quality: float
    position: int

    def specificity(self, media_type: str) -> int | None:
        """2 for an exact match, 1 for ``type/*``, 0 for ``*/*``, None for no match."""
        wanted_type, _, wanted_subtype = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != wanted_type:
            return None
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == wanted_subtype else None


def parse_quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            return quality if 0.0 <= quality <= 1.0 else 0.0
    return 1.0


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an ``Accept`` header; parts that do not parse are left out."""
    ranges = []
    for position, part in enumerate(header.split(",")):
        media, *parameters = part.split(";")
        media_type, slash, subtype = media.strip().lower().partition("/")
        if not slash or not media_type or not subtype:
            continue
        ranges.append(MediaRange(media_type, subtype, parse_quality(parameters), position))
    return ranges


def negotiate(accept: str | None) -> str | None:
    """The response media type for this ``Accept`` header, or None if none is acceptable."""
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    ranges = parse_accept(accept)
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for media_type in SUPPORTED:
        matches = [
            (specificity, media_range)
            for media_range in ranges
            if (specificity := media_range.specificity(media_type)) is not None
        ]
        if not matches:
            continue
        # The most specific range that names this type decides its quality (RFC 9110).
        specificity, media_range = max(matches, key=lambda match: (match[0], -match[1].position))
        if media_range.quality <= 0:
            continue
        rank = (media_range.quality, specificity, -media_range.position)
        if best is None or rank > best:
            best, chosen = rank, media_type
    return chosen

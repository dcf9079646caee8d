"""The strawberry schema of the one graph, and its SDL export."""

from __future__ import annotations

from pathlib import Path

import strawberry

from schema.error_codes import ErrorCodes
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import SCALAR_OVERRIDES
from schema.subscription import Subscription

SDL_PATH = Path(__file__).with_name("schema.graphql")


def create_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides=SCALAR_OVERRIDES,
        extensions=[ErrorCodes],
    )


def export_sdl(path: Path = SDL_PATH) -> str:
    sdl = create_schema().as_str() + "\n"
    path.write_text(sdl)
    return sdl

"""A fake upstream for ``httpx.MockTransport`` and helpers to read what it was sent."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

CRM_TOKEN = "crm-secret-token-123"
ERP_API_KEY = "erp-secret-key-456"
SCM_TOKEN = "scm-secret-token-789"
BASE_URL = "http://upstream.test:8080/prefix"

Answer = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]


class FakeUpstream:
    """Answers every request with ``answer`` and keeps the requests it saw."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self.answer(request)
        if inspect.isawaitable(response):
            return await response
        return response

    def json_bodies(self) -> list[Any]:
        return [json.loads(request.content) for request in self.requests]


def json_response(body: Any, status: int = 200, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, json=body, **kwargs)


def ids_param(request: httpx.Request, name: str) -> list[str]:
    value = request.url.params.get(name)
    return value.split(",") if value else []


def in_turn(*answers: httpx.Response | Exception) -> Answer:
    """Gives these answers in order (an exception is raised), the last one ever after."""
    remaining = list(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        given = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        if isinstance(given, Exception):
            raise given
        # A fresh response each time: one that has been read cannot be sent again.
        return httpx.Response(given.status_code, headers=given.headers, content=given.content)

    return answer

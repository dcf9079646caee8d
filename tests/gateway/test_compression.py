"""Answers compressed as the client accepts (br or gzip) above a size, never streams.

Sizes are the bytes on the wire (``num_bytes_downloaded``); httpx decodes both encodings
(brotli is a dependency), so the decoded answer is compared with the identity one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from gateway.compression import accepted_encoding
from gateway.graphiql_page import ASSETS_DIR
from gateway.page_files import encoded_file
from tests.gateway.live_helpers import Gateway
from tests.gateway_fixtures import gateway_settings

BIG = """{ customers(first: 20) { edges { node { id name tier
  orders(first: 5) { id status total { amount currency } } } } } }"""
SMALL = '{ order(id: "SO-100001") { id status } }'


@pytest.fixture(scope="module")
def gateway(simulators) -> Iterator[Gateway]:
    with Gateway(gateway_settings(simulators)) as served:
        yield served


def post(url: str, query: str, encoding: str) -> httpx.Response:
    return httpx.post(
        f"{url}/graphql",
        json={"query": query},
        headers={"Accept-Encoding": encoding, "Cache-Control": "no-cache"},
        timeout=30,
    )


@pytest.mark.parametrize(("accepted", "sent"), [("gzip", "gzip"), ("br, gzip", "br")])
def test_a_large_answer_is_compressed_as_the_client_accepts(gateway, accepted, sent):
    plain = post(gateway.url, BIG, "identity")
    compressed = post(gateway.url, BIG, accepted)
    assert "content-encoding" not in plain.headers
    assert compressed.headers["content-encoding"] == sent
    assert "accept-encoding" in compressed.headers["vary"].lower()
    assert compressed.json() == plain.json() and "errors" not in plain.json()
    assert compressed.num_bytes_downloaded * 4 < plain.num_bytes_downloaded


def test_a_small_answer_goes_as_it_is(gateway):
    answer = post(gateway.url, SMALL, "br, gzip")
    assert len(answer.content) < 1024
    assert "content-encoding" not in answer.headers
    assert answer.json()["data"]["order"]["id"] == "SO-100001"


def test_the_graphiql_bundle_goes_compressed(gateway):
    sizes = {}
    for encoding in ("identity", "gzip", "br"):
        answer = httpx.get(
            f"{gateway.url}/graphiql/graphiql.min.js", headers={"Accept-Encoding": encoding}
        )
        assert answer.status_code == 200
        sizes[encoding] = answer.num_bytes_downloaded
        assert answer.headers.get("content-encoding", "identity") == encoding
    assert sizes["gzip"] * 4 < sizes["identity"] and sizes["br"] < sizes["gzip"]


def test_a_graphiql_file_is_compressed_once_per_process(gateway):
    url = f"{gateway.url}/graphiql/react-dom.production.min.js"
    first = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    before = encoded_file.cache_info()
    again = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    after = encoded_file.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 0)
    assert again.content == first.content and again.headers["content-encoding"] == "gzip"
    assert (ASSETS_DIR / "react-dom.production.min.js").read_bytes() == again.content


def test_an_event_stream_is_never_compressed(gateway):
    params = {
        "query": "subscription($id: ID!) { orderTrackingUpdated(orderId: $id) { stage } }",
        "variables": json.dumps({"id": "SO-100001"}),
    }
    with httpx.stream(
        "GET",
        f"{gateway.url}/graphql/stream",
        params=params,
        headers={"Accept-Encoding": "br, gzip", "Accept": "text/event-stream"},
        timeout=30,
    ) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in stream.headers
        # The first event arrives at once, readable as it was sent.
        first = next(line for line in stream.iter_lines() if line.startswith("data:"))
    assert json.loads(first.removeprefix("data:"))["data"]["orderTrackingUpdated"]["stage"]


def test_a_kept_answer_compressed_has_a_weak_etag_that_still_gets_304(gateway):
    body = {"query": BIG}
    headers = {"Accept-Encoding": "gzip"}
    first = httpx.post(f"{gateway.url}/graphql", json=body, headers=headers, timeout=30)
    assert first.headers["content-encoding"] == "gzip"
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    again = httpx.post(
        f"{gateway.url}/graphql", json=body, headers={**headers, "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b""


def test_turned_off_nothing_is_compressed(simulators):
    with Gateway(gateway_settings(simulators, compression=False)) as plain:
        answer = post(plain.url, BIG, "br, gzip")
    assert answer.status_code == 200 and "content-encoding" not in answer.headers


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        ("gzip, deflate", "gzip"),
        ("gzip, deflate, br, zstd", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("gzip;q=0, br;q=0", None),
        ("identity", None),
        ("", None),
        ("*", "br"),
        ("*;q=0.1, gzip;q=0.9", "gzip"),
        ("gzip;q=nonsense, br", "br"),
    ],
)
def test_the_encoding_follows_accept_encoding_and_its_weights(header, chosen):
    assert accepted_encoding(header) == chosen


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_kept_answer_is_compressed_once_and_its_bytes_reused(gateway, encoding):
    identity = httpx.post(
        f"{gateway.url}/graphql",
        json={"query": f"{BIG} # {encoding}"},
        headers={"Accept-Encoding": "identity"},
        timeout=30,
    )
    answers = [
        httpx.post(
            f"{gateway.url}/graphql",
            json={"query": f"{BIG} # {encoding}"},
            headers={"Accept-Encoding": encoding},
            timeout=30,
        )
        for _ in range(3)
    ]
    assert [answer.headers["x-cache"] for answer in answers] == ["hit"] * 3
    assert {answer.headers["content-encoding"] for answer in answers} == {encoding}
    assert all(answer.json() == identity.json() for answer in answers)
    assert "errors" not in identity.json() and len(identity.content) > 1024
    assert len({answer.headers["etag"] for answer in answers}) == 1


async def test_the_compressed_bytes_of_a_tagged_body_are_reused_and_an_untagged_one_recompressed():
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from gateway.compression import CompressionMiddleware

    body = json.dumps({"data": {"rows": [{"id": n, "name": f"row {n}"} for n in range(400)]}})

    def tagged(request):
        return Response(body, media_type="application/json", headers={"ETag": '"abc"'})

    def untagged(request):
        return Response(body, media_type="application/json")

    app = Starlette(routes=[Route("/tagged", tagged), Route("/untagged", untagged)])
    middleware = CompressionMiddleware(app, minimum_size=1024)
    transport = httpx.ASGITransport(app=middleware)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path in ("/tagged", "/tagged", "/untagged", "/untagged"):
            for encoding in ("br", "gzip"):
                answer = await client.get(path, headers={"Accept-Encoding": encoding})
                assert answer.headers["content-encoding"] == encoding
                assert answer.text == body
    # The second /tagged per encoding reused the first's bytes; /untagged never.
    assert middleware.encoded_answers.reused == 2
    assert len(middleware.encoded_answers._entries) == 2

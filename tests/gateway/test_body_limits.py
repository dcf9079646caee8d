"""Request bodies past their route's limit get 413 before they are read whole.

Each test speaks raw HTTP/1.1 over a socket, so it controls exactly what is sent: a
declared length the gateway must refuse without waiting for the bytes, and a chunked
body that stops mid-way after passing the limit (the gateway must answer rather than
wait for the rest, which never comes).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.gateway.test_caching import webhook
from tests.gateway_fixtures import gateway_settings

WEBHOOK_LIMIT = 1_048_576


@pytest.fixture(scope="module")
def gateway(simulators) -> Iterator[ThreadedServer]:
    with ThreadedServer(create_app(gateway_settings(simulators))) as server:
        yield server


def status_and_body(sock: socket.socket) -> tuple[int, dict[str, object]]:
    """Reads one response (the gateway closes the connection after a 413)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk
        rest += chunk
    return int(lines[0].split()[1]), json.loads(rest[:length])


def connect(server: ThreadedServer) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=10)


def request_head(path: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: gateway", *headers, "", ""]
    return "\r\n".join(lines).encode()


def test_an_unsigned_webhook_declaring_400_mb_is_refused_before_its_body_is_sent(gateway):
    with connect(gateway) as sock:
        sock.sendall(request_head("/webhooks/crm", "Content-Length: 400000000"))
        status, body = status_and_body(sock)
    assert status == 413
    error = body["errors"][0]  # type: ignore[index]
    assert error["extensions"] == {
        "code": "QUERY_REJECTED",
        "limit": "body_bytes",
        "value": WEBHOOK_LIMIT,
    }
    assert str(WEBHOOK_LIMIT) in error["message"]


def send_chunked_past(sock: socket.socket, limit: int) -> None:
    """Exactly ``limit`` bytes in chunks, then one byte more, and then nothing at all.

    The byte past the limit is the last one sent (not even its chunk's CRLF follows):
    the gateway, having read everything, closes without unread input, which would make
    the kernel reset the connection and could discard the 413 before the test reads it.
    """
    left = limit
    while left:
        size = min(left, 65536)
        sock.sendall(f"{size:x}\r\n".encode() + b" " * size + b"\r\n")
        left -= size
    sock.sendall(b"1\r\n ")


def test_a_chunked_webhook_past_its_limit_is_refused_without_waiting_for_the_rest(gateway):
    with connect(gateway) as sock:
        sock.sendall(request_head("/webhooks/erp", "Transfer-Encoding: chunked"))
        send_chunked_past(sock, WEBHOOK_LIMIT)
        status, body = status_and_body(sock)
    assert status == 413
    assert body["errors"][0]["extensions"]["value"] == WEBHOOK_LIMIT  # type: ignore[index]


def test_a_signed_webhook_within_its_limit_is_still_accepted(gateway):
    payload, headers = webhook("crm", "order.updated", ["SO-100005"])
    with connect(gateway) as sock:
        sock.sendall(
            request_head(
                "/webhooks/crm",
                f"Content-Length: {len(payload)}",
                f"X-Signature: {headers['X-Signature']}",
                "Content-Type: application/json",
            )
            + payload
        )
        status, body = status_and_body(sock)
    assert status == 202
    assert body["status"] == "accepted"


def test_a_graphql_body_past_its_limit_is_refused_while_streaming(gateway):
    with connect(gateway) as sock:
        sock.sendall(
            request_head("/graphql", "Transfer-Encoding: chunked", "Content-Type: application/json")
        )
        send_chunked_past(sock, 100_000)
        status, body = status_and_body(sock)
    assert status == 413
    assert body["errors"][0]["extensions"]["value"] == 100_000  # type: ignore[index]


def test_a_route_that_takes_no_body_refuses_a_large_one_before_authentication(gateway):
    with connect(gateway) as sock:
        sock.sendall(request_head("/admin/cache/crm/drop", "Content-Length: 10000000"))
        status, body = status_and_body(sock)
    assert status == 413
    assert body["errors"][0]["extensions"]["value"] == 65_536  # type: ignore[index]

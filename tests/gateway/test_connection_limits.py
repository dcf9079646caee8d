"""Connections the server ends on its own: stalled requests, and headers too large to hold.

The gateway runs under uvicorn configured as ``supplygraph serve`` configures it
(``gateway.http_server``), with a short read timeout so the tests wait little; raw
sockets send exactly the half-requests an attacker would.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.sync.client import connect as connect_websocket
from websockets.typing import Subprotocol

from gateway.app import create_app
from gateway.server_thread import ThreadedServer
from tests.gateway_fixtures import gateway_settings

READ_TIMEOUT_S = 0.5
MAX_HEADER_BYTES = 8192
# Generous: the server must end a stalled connection well before this.
WAIT_S = 10.0


@pytest.fixture(scope="module")
def server(simulators) -> Iterator[ThreadedServer]:
    settings = gateway_settings(
        simulators,
        http_request_read_timeout_s=READ_TIMEOUT_S,
        http_max_header_bytes=MAX_HEADER_BYTES,
    )
    with ThreadedServer(create_app(settings), settings=settings) as running:
        yield running


def connect(server: ThreadedServer) -> socket.socket:
    return socket.create_connection((server.host, server.port), timeout=WAIT_S)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes; fails if it keeps the connection."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            pytest.fail(f"the server kept the connection open past {WAIT_S} s: {received!r}")
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def test_a_half_sent_request_head_is_answered_408_and_closed(server):
    with connect(server) as sock:
        sock.sendall(b"POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Ty")
        started = time.monotonic()
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < WAIT_S


def test_a_connection_that_sends_nothing_is_closed(server):
    with connect(server) as sock:
        assert read_until_closed(sock).startswith(b"HTTP/1.1 408 ")


def test_a_body_that_stalls_midway_is_cut_off(server):
    with connect(server) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
            b'Content-Length: 500\r\n\r\n{"query": "{ __typename'
        )
        answer = read_until_closed(sock)
    # Nothing ran: the route saw the client disconnect and answered nothing.
    assert b"200 OK" not in answer


def test_hundreds_of_stalled_connections_are_all_closed(server):
    sockets = [connect(server) for _ in range(300)]
    try:
        for sock in sockets:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gat")
        closed = sum(1 for sock in sockets if read_until_closed(sock).startswith(b"HTTP/1.1 408"))
    finally:
        for sock in sockets:
            sock.close()
    assert closed == len(sockets)


def test_a_request_after_the_timeout_on_a_fresh_connection_is_still_served(server):
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n")
        assert read_until_closed(sock).startswith(b"HTTP/1.1 200 ")


def test_a_header_past_the_limit_is_refused_with_431(server):
    with connect(server) as sock:
        sock.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Padding: "
            + b"a" * (MAX_HEADER_BYTES + 1)
            + b"\r\n\r\n"
        )
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert str(MAX_HEADER_BYTES).encode() in answer


def test_a_header_of_a_megabyte_sent_in_pieces_is_refused_before_it_ends(server):
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Padding: ")
        sent = 0
        try:
            while sent < 1_048_576:
                sock.sendall(b"a" * 4096)
                sent += 4096
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-header, as it should be
        answer = read_until_closed(sock)
    # Either the 431 was read, or the server closed on the sender mid-header (a reset
    # may then discard the 431 before it is read); never a 408 after the whole megabyte.
    assert answer.startswith(b"HTTP/1.1 431 ") or sent < 1_048_576, answer[:40]


def test_headers_within_the_limit_are_served(server):
    with connect(server) as sock:
        sock.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\nX-Padding: "
            + b"a" * (MAX_HEADER_BYTES // 2)
            + b"\r\n\r\n"
        )
        assert read_until_closed(sock).startswith(b"HTTP/1.1 200 ")


def test_an_upgraded_websocket_outlives_the_request_read_timeout(server):
    url = f"ws://{server.host}:{server.port}/graphql"
    with connect_websocket(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        time.sleep(READ_TIMEOUT_S * 3)
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(ws.recv(timeout=WAIT_S)) == {"type": "connection_ack"}


def test_a_websocket_message_past_the_body_limit_closes_the_socket(server):
    url = f"ws://{server.host}:{server.port}/graphql"
    with connect_websocket(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"pad": "x" * 200_000}}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=WAIT_S)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == CloseCode.MESSAGE_TOO_BIG


def test_past_the_connection_limit_a_request_gets_503_until_connections_close(simulators):
    settings = gateway_settings(simulators, http_limit_concurrency=5)
    with ThreadedServer(create_app(settings), settings=settings) as limited:
        stalled = [connect(limited) for _ in range(5)]
        for sock in stalled:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gat")
        time.sleep(0.2)  # accepted by the server before the next one comes
        with connect(limited) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n")
            assert read_until_closed(sock).startswith(b"HTTP/1.1 503 ")
        for sock in stalled:
            sock.close()
        answer = b""
        for _ in range(50):  # until the server has noticed the closed connections
            with connect(limited) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n")
                answer = read_until_closed(sock)
            if not answer.startswith(b"HTTP/1.1 503 "):
                break
            time.sleep(0.05)
        assert answer.startswith(b"HTTP/1.1 200 ")

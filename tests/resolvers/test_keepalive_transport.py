"""The keep-alive transport against a real loopback HTTP server that misbehaves on cue."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import orjson
import pytest

from resolvers.keepalive_transport import REPLAYABLE, KeepAliveTransport


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[[Received, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class ScriptedServer:
    """Reads each request, then lets ``answer`` write whatever it likes back."""

    answer: Answer
    connections: int = 0
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode().split("\r\n")[:-2]
                method, path, _ = request_line.split(" ")
                headers = {}
                for line in header_lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                received = Received(method, path, headers, body)
                self.requests.append(received)
                await self.answer(received, writer)
                if writer.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def reply(
    writer: asyncio.StreamWriter, body: bytes, *extra_headers: str, status: str = "200 OK"
) -> None:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *extra_headers]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()


async def echo(received: Received, writer: asyncio.StreamWriter) -> None:
    await reply(writer, orjson.dumps({"path": received.path, "body": received.body.decode()}))


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Answer], Awaitable[ScriptedServer]]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer) -> ScriptedServer:
        scripted = ScriptedServer(answer)
        server = await asyncio.start_server(scripted.handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        scripted.url = f"http://127.0.0.1:{port}"
        return scripted

    yield start
    for server in servers:
        server.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=KeepAliveTransport(), timeout=2.0) as http:
        yield http


async def test_sequential_requests_share_one_connection(serve, client):
    server = await serve(echo)

    answers = [await client.get(f"{server.url}/n/{n}") for n in range(5)]

    assert [answer.json()["path"] for answer in answers] == [f"/n/{n}" for n in range(5)]
    assert server.connections == 1


async def test_a_json_body_and_the_query_string_arrive_intact(serve, client):
    server = await serve(echo)

    answer = await client.post(
        f"{server.url}/rpc?ids=a,b", json={"x": [1, 2]}, headers={"X-Api-Key": "k"}
    )

    assert answer.status_code == 200
    assert answer.json() == {"path": "/rpc?ids=a,b", "body": '{"x":[1,2]}'}
    received = server.requests[0]
    assert received.method == "POST"
    assert received.headers["x-api-key"] == "k"
    assert received.headers["host"] == server.url.removeprefix("http://")
    assert received.headers["content-type"] == "application/json"


async def test_status_and_headers_come_back_as_sent(serve, client):
    async def teapot(received: Received, writer: asyncio.StreamWriter) -> None:
        await reply(writer, b"no", "Retry-After: 7", "X-Thing: a", status="429 Too Many Requests")

    server = await serve(teapot)

    answer = await client.get(server.url)

    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "7"
    assert answer.text == "no"


async def test_a_chunked_answer_is_put_together(serve, client):
    async def chunked(received: Received, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        writer.write(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        await writer.drain()

    server = await serve(chunked)

    assert (await client.get(server.url)).text == "hello world"
    assert (await client.get(server.url)).text == "hello world"
    assert server.connections == 1


async def test_an_answer_without_a_length_ends_where_the_connection_does(serve, client):
    async def until_close(received: Received, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it")
        await writer.drain()
        writer.close()

    server = await serve(until_close)

    assert (await client.get(server.url)).text == "all of it"
    assert (await client.get(server.url)).text == "all of it"
    assert server.connections == 2


async def test_a_gzipped_answer_is_decoded_by_httpx(serve, client):
    async def zipped(received: Received, writer: asyncio.StreamWriter) -> None:
        await reply(writer, gzip.compress(b'{"ok": true}'), "Content-Encoding: gzip")

    server = await serve(zipped)

    assert (await client.get(server.url)).json() == {"ok": True}


async def test_connection_close_is_honoured_and_the_next_request_reconnects(serve, client):
    async def closing(received: Received, writer: asyncio.StreamWriter) -> None:
        await reply(writer, b"bye", "Connection: close")
        writer.close()

    server = await serve(closing)

    assert (await client.get(server.url)).text == "bye"
    assert (await client.get(server.url)).text == "bye"
    assert server.connections == 2


async def test_an_idle_connection_the_server_dropped_is_not_reused(serve, client):
    async def answer_then_hang_up(received: Received, writer: asyncio.StreamWriter) -> None:
        await reply(writer, b"once")
        writer.close()  # no Connection: close header, as a server timing out idle ones

    server = await serve(answer_then_hang_up)
    await client.get(server.url)
    await asyncio.sleep(0.05)  # the FIN arrives

    assert (await client.get(server.url)).text == "once"
    assert server.connections == 2


async def test_a_hang_up_the_loop_has_not_seen_yet_still_retires_the_connection(serve, client):
    async def answer_then_hang_up(received: Received, writer: asyncio.StreamWriter) -> None:
        await reply(writer, received.path.encode())
        writer.close()

    server = await serve(answer_then_hang_up)
    await client.get(f"{server.url}/first")
    # The FIN reaches this host while the loop is busy: nothing has processed it.
    time.sleep(0.05)  # noqa: ASYNC251 - holding the loop on purpose

    assert (await client.get(f"{server.url}/second")).text == "/second"
    assert server.connections == 2


def hang_up_on_the_second_request_of_each_connection() -> tuple[Answer, list[int]]:
    """A server whose keep-alive timeout fires just as a reused connection's request
    arrives: it closes without answering. The list counts requests dropped so."""
    served: dict[int, int] = {}
    dropped: list[int] = []

    async def answer(received: Received, writer: asyncio.StreamWriter) -> None:
        key = id(writer)
        served[key] = served.get(key, 0) + 1
        if served[key] == 2:
            dropped.append(1)
            writer.close()
            return
        await reply(writer, received.path.encode())

    return answer, dropped


async def test_a_replayable_request_on_a_connection_closed_unanswered_is_sent_again(serve, client):
    answer, dropped = hang_up_on_the_second_request_of_each_connection()
    server = await serve(answer)
    await client.post(f"{server.url}/first", json={})

    again = await client.post(f"{server.url}/read", json={}, extensions={REPLAYABLE: True})

    assert again.text == "/read"
    assert [received.path for received in server.requests] == ["/first", "/read", "/read"]
    assert len(dropped) == 1
    assert server.connections == 2


async def test_an_idempotent_method_is_sent_again_without_being_told(serve, client):
    answer, dropped = hang_up_on_the_second_request_of_each_connection()
    server = await serve(answer)
    await client.get(f"{server.url}/first")

    assert (await client.get(f"{server.url}/again")).text == "/again"
    assert len(dropped) == 1


async def test_a_write_on_a_connection_closed_unanswered_is_never_sent_twice(serve, client):
    answer, dropped = hang_up_on_the_second_request_of_each_connection()
    server = await serve(answer)
    await client.post(f"{server.url}/first", json={})

    with pytest.raises(httpx.ReadError):
        await client.post(f"{server.url}/write", json={})

    assert [received.path for received in server.requests] == ["/first", "/write"]
    assert len(dropped) == 1


async def test_a_new_connection_closed_unanswered_is_not_sent_again(serve, client):
    async def hang_up(received: Received, writer: asyncio.StreamWriter) -> None:
        writer.close()  # not a keep-alive race: the server refuses this request

    server = await serve(hang_up)

    with pytest.raises(httpx.ReadError):
        await client.get(server.url)

    assert len(server.requests) == 1


async def test_a_connection_idle_past_the_keepalive_expiry_is_retired(serve):
    server = await serve(echo)
    transport = KeepAliveTransport(limits=httpx.Limits(keepalive_expiry=0.05))
    async with httpx.AsyncClient(transport=transport, timeout=2.0) as http:
        await http.get(f"{server.url}/a")
        await http.get(f"{server.url}/b")  # at once: the same connection
        await asyncio.sleep(0.1)
        await http.get(f"{server.url}/c")

    assert server.connections == 2


async def test_no_answer_in_time_is_a_read_timeout_and_the_connection_is_dropped(serve):
    async def slow_first(received: Received, writer: asyncio.StreamWriter) -> None:
        if received.path == "/slow":
            await asyncio.sleep(1.0)
        await reply(writer, b"late" if received.path == "/slow" else b"ok")

    server = await serve(slow_first)
    async with httpx.AsyncClient(transport=KeepAliveTransport(), timeout=0.1) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"{server.url}/slow")
        # The late answer must never be read as the answer of the next request.
        assert (await http.get(f"{server.url}/fast")).text == "ok"
    assert server.connections == 2


async def test_a_closed_port_is_a_connect_error(client):
    with pytest.raises(httpx.ConnectError):
        await client.get("http://127.0.0.1:9/")


async def test_a_full_pool_is_a_pool_timeout(serve):
    release = asyncio.Event()

    async def held(received: Received, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        await reply(writer, b"done")

    server = await serve(held)
    transport = KeepAliveTransport(limits=httpx.Limits(max_connections=1))
    async with httpx.AsyncClient(transport=transport, timeout=1.0) as http:
        first = asyncio.create_task(http.get(server.url))
        await asyncio.sleep(0.05)
        with pytest.raises(httpx.PoolTimeout):
            await http.get(server.url, timeout=httpx.Timeout(1.0, pool=0.05))
        release.set()
        assert (await first).text == "done"


async def test_a_garbled_answer_is_a_protocol_error(serve, client):
    async def garbage(received: Received, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()

    server = await serve(garbage)

    with pytest.raises(httpx.RemoteProtocolError):
        await client.get(server.url)


async def test_a_hang_up_halfway_through_an_answer_is_a_read_error(serve, client):
    async def cut_short(received: Received, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
        await writer.drain()
        writer.close()

    server = await serve(cut_short)

    with pytest.raises(httpx.ReadError):
        await client.get(server.url)


async def test_an_answer_over_the_size_cap_is_refused(serve):
    async def huge(received: Received, writer: asyncio.StreamWriter) -> None:
        await reply(writer, b"x" * 10_000)

    server = await serve(huge)
    async with httpx.AsyncClient(transport=KeepAliveTransport(max_body_bytes=1_000)) as http:
        with pytest.raises(httpx.RemoteProtocolError, match="larger"):
            await http.get(server.url)


async def test_a_cancelled_request_leaves_no_half_read_connection_behind(serve, client):
    async def slow(received: Received, writer: asyncio.StreamWriter) -> None:
        if received.path == "/slow":
            await asyncio.sleep(0.3)
        await reply(writer, received.path.encode())

    server = await serve(slow)
    task = asyncio.create_task(client.get(f"{server.url}/slow"))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert (await client.get(f"{server.url}/next")).text == "/next"
    assert server.connections == 2


async def test_concurrent_requests_open_a_connection_each_and_keep_them(serve, client):
    async def pause(received: Received, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.05)
        await reply(writer, received.path.encode())

    server = await serve(pause)

    first = await asyncio.gather(*(client.get(f"{server.url}/{n}") for n in range(4)))
    again = await asyncio.gather(*(client.get(f"{server.url}/{n}") for n in range(4)))

    assert [answer.text for answer in first + again] == [f"/{n}" for n in range(4)] * 2
    assert server.connections == 4


async def test_a_closed_transport_refuses_new_requests(serve):
    server = await serve(echo)
    transport = KeepAliveTransport()
    http = httpx.AsyncClient(transport=transport)
    await http.get(server.url)
    await http.aclose()

    with pytest.raises(RuntimeError):
        await transport.handle_async_request(httpx.Request("GET", server.url))

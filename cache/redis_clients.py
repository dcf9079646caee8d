"""Which redis-py client a Redis URL asks for: one server, a Cluster, or Sentinel.

    redis://host:6379/0, rediss://…, unix://…     one server (redis.asyncio.Redis)
    the same with cluster=True                    Redis Cluster, discovered from that node
    redis+cluster://host:7000[,host:7001]         Redis Cluster from these startup nodes
    rediss+cluster://…                            the same over TLS
    redis+sentinel://host:26379[,host:26380]/mymaster[/db]
                                                  the master Sentinel names ``mymaster``

A user and password in the URL are the data nodes' (for Sentinel, the master's). Every
client is built with the caller's timeouts and without redis-py's own retries: the
cache decides when to try again (``cache.redis_store``).

``single_server_client`` gives a plain ``Redis`` client for code that needs one server
whatever the URL (Pub/Sub: in a Cluster, PUBLISH reaches subscribers on every node; with
Sentinel it is the current master). Close it with ``close_redis_client``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import NoBackoff

CLUSTER_SCHEMES = {"redis+cluster": False, "rediss+cluster": True}
SENTINEL_SCHEMES = {"redis+sentinel": False, "rediss+sentinel": True}


@dataclass(frozen=True, slots=True)
class RedisAddress:
    """A parsed Redis URL of any of the forms above."""

    mode: str  # "single", "cluster" or "sentinel"
    url: str
    nodes: list[tuple[str, int]] = field(default_factory=list)
    service_name: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False


def parse_redis_url(url: str, *, cluster: bool = False) -> RedisAddress:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if scheme in CLUSTER_SCHEMES or scheme in SENTINEL_SCHEMES:
        nodes = _nodes(parts.netloc.rpartition("@")[2], url)
        path = [segment for segment in parts.path.split("/") if segment]
        if scheme in CLUSTER_SCHEMES:
            return RedisAddress(
                "cluster", url, nodes, username=username, password=password,
                tls=CLUSTER_SCHEMES[scheme],
            )  # fmt: skip
        if not path:
            raise ValueError(f"a Sentinel URL names its service: {_shown(url)}/<service_name>")
        db = int(path[1]) if len(path) > 1 else 0
        return RedisAddress(
            "sentinel", url, nodes, service_name=path[0], db=db, username=username,
            password=password, tls=SENTINEL_SCHEMES[scheme],
        )  # fmt: skip
    if scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"not a Redis URL: {_shown(url)}")
    if cluster and scheme != "unix":
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379
        return RedisAddress(
            "cluster", url, [(host, port)], username=username, password=password,
            tls=scheme == "rediss",
        )  # fmt: skip
    return RedisAddress("single", url)


def _nodes(netloc: str, url: str) -> list[tuple[str, int]]:
    nodes = []
    for item in netloc.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"expected host:port[,host:port] in {_shown(url)}")
        nodes.append((host.strip("[]"), int(port)))
    return nodes


def _shown(url: str) -> str:
    """The URL without its password, for error messages."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(parts.password, "***", 1)
    return url


def open_redis_client(
    url: str,
    *,
    cluster: bool = False,
    socket_timeout_s: float | None,
    connect_timeout_s: float,
    max_connections: int = 100,
    **extra: Any,
) -> Redis | RedisCluster:
    """A client for ``url`` (see the module's docstring); connects on first use."""
    address = parse_redis_url(url, cluster=cluster)
    common: dict[str, Any] = {
        "socket_timeout": socket_timeout_s,
        "socket_connect_timeout": connect_timeout_s,
        "retry": Retry(NoBackoff(), 0),
        "max_connections": max_connections,
        **extra,
    }
    if address.mode == "single":
        return Redis.from_url(url, **common)
    common["username"] = address.username
    common["password"] = address.password
    if address.mode == "cluster":
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in address.nodes],
            ssl=address.tls,
            # No retries, but a MOVED or ASK reply is still followed (redis-py does).
            **common,
        )
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        address.nodes,
        sentinel_kwargs={
            "socket_timeout": socket_timeout_s,
            "socket_connect_timeout": connect_timeout_s,
        },
    )
    assert address.service_name is not None
    master: Redis = sentinel.master_for(
        address.service_name, ssl=address.tls, db=address.db, **common
    )
    return master


async def close_redis_client(client: Redis | RedisCluster) -> None:
    """Closes the client, and for Sentinel the connections to the sentinels too."""
    pool = getattr(client, "connection_pool", None)
    await client.aclose()
    if isinstance(pool, SentinelConnectionPool):
        for sentinel in pool.sentinel_manager.sentinels:
            await sentinel.aclose()


def single_node_url(url: str, *, cluster: bool = False) -> str:
    """A plain URL of one server behind ``url``: itself, or a Cluster's first startup
    node. Sentinel has no fixed node: it raises ``ValueError``."""
    address = parse_redis_url(url, cluster=cluster)
    if address.mode == "single":
        return url
    if address.mode == "sentinel":
        raise ValueError("a Sentinel URL names no fixed server; ask Sentinel for the master")
    host, port = address.nodes[0]
    auth = ""
    if address.password:
        auth = f"{address.username or ''}:{address.password}@"
    return f"{'rediss' if address.tls else 'redis'}://{auth}{host}:{port}/0"


def single_server_client(url: str, *, cluster: bool = False, **kwargs: Any) -> Redis:
    """A ``Redis`` client of one server behind ``url``: itself, a Cluster's first startup
    node, or the master Sentinel names. ``kwargs`` go to the connections."""
    address = parse_redis_url(url, cluster=cluster)
    if address.mode != "sentinel":
        return Redis.from_url(single_node_url(url, cluster=cluster), **kwargs)
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        address.nodes,
        sentinel_kwargs={
            "socket_timeout": kwargs.get("socket_timeout"),
            "socket_connect_timeout": kwargs.get("socket_connect_timeout"),
        },
    )
    assert address.service_name is not None
    master: Redis = sentinel.master_for(
        address.service_name,
        ssl=address.tls,
        db=address.db,
        username=address.username,
        password=address.password,
        **kwargs,
    )
    return master

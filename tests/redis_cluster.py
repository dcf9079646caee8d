"""A real 3-master Redis Cluster (and a Sentinel) of the test's own, from redis-server.

Three ``cluster-enabled`` servers on free loopback ports, joined with
``redis-cli --cluster create … --cluster-yes`` (no replicas), in a temporary directory
that goes away with them.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis
from redis.cluster import RedisCluster

from tests.cache.private_redis import free_port


def cluster_available() -> bool:
    return bool(shutil.which("redis-server") and shutil.which("redis-cli"))


class LocalRedisCluster:
    def __init__(self, masters: int = 3) -> None:
        ports: list[int] = []
        while len(ports) < 2 * masters:
            port = free_port()
            if port not in ports:
                ports.append(port)
        # The cluster bus defaults to port + 10000, which may be taken or past 65535.
        self.ports, self.bus_ports = ports[:masters], ports[masters:]
        self._processes: list[subprocess.Popen[bytes]] = []
        self._dir: Path | None = None

    @property
    def url(self) -> str:
        """A plain URL of one node (for ``cluster=True``)."""
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    @property
    def cluster_url(self) -> str:
        nodes = ",".join(f"127.0.0.1:{port}" for port in self.ports)
        return f"redis+cluster://{nodes}"

    def start(self) -> LocalRedisCluster:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> LocalRedisCluster:
        self._dir = Path(tempfile.mkdtemp(prefix="sg-redis-cluster-"))
        for port, bus_port in zip(self.ports, self.bus_ports, strict=True):
            node_dir = self._dir / str(port)
            node_dir.mkdir()
            args = [
                "redis-server",
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--cluster-enabled", "yes",
                "--cluster-port", str(bus_port),
                "--cluster-config-file", str(node_dir / "nodes.conf"),
                "--cluster-node-timeout", "2000",
                "--dir", str(node_dir),
                "--save", "",
                "--appendonly", "no",
            ]  # fmt: skip
            self._processes.append(
                subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        for port in self.ports:
            _wait_for_ping(port)
        subprocess.run(
            ["redis-cli", "--cluster", "create"]
            + [f"127.0.0.1:{port}" for port in self.ports]
            + ["--cluster-yes"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )
        self._wait_until_ok()
        return self

    def stop(self) -> None:
        for process in self._processes:
            process.kill()
        for process in self._processes:
            process.wait()
        self._processes.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def client(self) -> RedisCluster:
        return RedisCluster(host="127.0.0.1", port=self.ports[0])

    def node_of(self, key: str) -> int:
        """The port of the master holding ``key``."""
        with self.client() as client:
            node = client.get_node_from_key(key)
            return int(node.port)

    def keys_per_node(self, pattern: str) -> dict[int, int]:
        counts = {}
        for port in self.ports:
            with redis.Redis(host="127.0.0.1", port=port) as node:
                counts[port] = sum(1 for _ in node.scan_iter(match=pattern, count=500))
        return counts

    def _wait_until_ok(self, timeout_s: float = 15.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            states = []
            for port in self.ports:
                with redis.Redis(host="127.0.0.1", port=port) as node:
                    info = node.cluster("INFO")
                    states.append(
                        info.get("cluster_state") if isinstance(info, dict) else str(info)
                    )
            if all(state == "ok" or "cluster_state:ok" in str(state) for state in states):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster did not become ok: {states}")
            time.sleep(0.05)


class LocalRedisSentinel:
    """One Redis master and one Sentinel watching it as ``service_name``."""

    def __init__(self, service_name: str = "sgmaster") -> None:
        self.service_name = service_name
        self.master_port = free_port()
        self.sentinel_port = free_port()
        self._processes: list[subprocess.Popen[bytes]] = []
        self._dir: Path | None = None

    @property
    def url(self) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel_port}/{self.service_name}/0"

    def start(self) -> LocalRedisSentinel:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> LocalRedisSentinel:
        self._dir = Path(tempfile.mkdtemp(prefix="sg-redis-sentinel-"))
        config = self._dir / "sentinel.conf"
        config.write_text(
            f"port {self.sentinel_port}\nbind 127.0.0.1\n"
            f"sentinel monitor {self.service_name} 127.0.0.1 {self.master_port} 1\n"
        )
        master = [
            "redis-server", "--port", str(self.master_port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no",
        ]  # fmt: skip
        self._processes.append(
            subprocess.Popen(master, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
        self._processes.append(
            subprocess.Popen(
                ["redis-server", str(config), "--sentinel"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        for port in (self.master_port, self.sentinel_port):
            _wait_for_ping(port)
        return self

    def stop(self) -> None:
        for process in self._processes:
            process.kill()
        for process in self._processes:
            process.wait()
        self._processes.clear()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def _wait_for_ping(port: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with redis.Redis(host="127.0.0.1", port=port) as node:
                node.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)

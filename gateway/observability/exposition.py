"""``GET /metrics`` for one gateway process or for several uvicorn workers.

With one process, metrics are read from the process's own registry. With several,
prometheus-client writes each worker's values to files in ``PROMETHEUS_MULTIPROC_DIR``
and whichever worker is scraped sums them all (``MultiProcessCollector``). The variable
must be set before prometheus-client is first imported in each worker: ``supplygraph
serve --workers N`` (N > 1) calls ``prepare_multiprocess_dir`` before it starts them, with a
fresh temporary directory unless one is already set (e.g. a Kubernetes ``emptyDir``; it
must be emptied between runs), and removes the directory it made on exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import MutableMapping
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(
    workers: int, environ: MutableMapping[str, str] | None = None
) -> Path | None:
    """Sets ``PROMETHEUS_MULTIPROC_DIR`` for ``workers`` > 1; the directory, or None."""
    env = os.environ if environ is None else environ
    if workers <= 1:
        return None
    if env.get(MULTIPROC_ENV):
        path = Path(env[MULTIPROC_ENV])
        path.mkdir(parents=True, exist_ok=True)
        return path
    path = Path(tempfile.mkdtemp(prefix="supplygraph-metrics-"))
    env[MULTIPROC_ENV] = str(path)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def render_metrics() -> tuple[bytes, str]:
    """The exposition text of every metric (all workers' when multiprocess) and its type."""
    # Imported here, not at the top: the CLI imports this module before it sets
    # PROMETHEUS_MULTIPROC_DIR, which prometheus-client reads once, on import.
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    if multiprocess_mode():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def worker_exiting() -> None:
    """Drops this worker's live gauges (open subscriptions, breaker states) from the sums."""
    if multiprocess_mode():
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


async def metrics_endpoint(request: Request) -> Response:
    runtime_metrics = getattr(request.app.state, "runtime_metrics", None)
    if runtime_metrics is not None:
        runtime_metrics.sync()
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)

"""The ``supplygraph`` command: serve the gateway, run the demo systems, export the schema."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import ssl
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from pydantic import SecretStr

from core.errors import ConfigurationError
from gateway.auth import Authenticator, issue_token
from gateway.cors import checked_origins
from gateway.http_server import server_config
from gateway.observability.exposition import prepare_multiprocess_dir
from gateway.observability.logging_setup import configure_logging, configure_logging_from
from gateway.safe_defaults import refusal_for_demo_credentials
from gateway.settings import ENV_PREFIX, Settings

logger = logging.getLogger("supplygraph")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="supplygraph", description="One GraphQL graph over a CRM, an ERP and an SCM."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve",
        help="run the gateway (with the built-in demo systems when no upstream URL is set)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--ssl-certfile",
        type=Path,
        default=None,
        help="serve HTTPS with this PEM certificate (chain); needs --ssl-keyfile",
    )
    serve.add_argument("--ssl-keyfile", type=Path, default=None, help="its PEM private key")
    serve.add_argument(
        "--demo-latency-ms",
        type=float,
        default=20.0,
        help="latency of the demo systems, to feel like real upstreams (default 20)",
    )

    sims = commands.add_parser("simulators", help="run the demo CRM, ERP and SCM on loopback")
    sims.add_argument("--host", default="127.0.0.1")
    sims.add_argument("--crm-port", type=int, default=8101)
    sims.add_argument("--erp-port", type=int, default=8102)
    sims.add_argument("--scm-port", type=int, default=8103)
    sims.add_argument("--seed", type=int, default=42)
    sims.add_argument("--latency-ms", type=float, default=0.0)
    sims.add_argument("--jitter-ms", type=float, default=0.0)
    sims.add_argument("--live", action="store_true", help="move orders along over time")
    sims.add_argument("--webhook-url", default=None, help="gateway base URL to send webhooks to")

    export = commands.add_parser("export-schema", help="write the gateway's SDL")
    export.add_argument("--output", type=Path, default=None)
    return parser


def run_simulators(args: argparse.Namespace) -> None:
    from simulators.runner import RunningSimulators, SimulatorConfig, serve_forever
    from simulators.serving import new_event_loop

    config = SimulatorConfig(
        seed=args.seed,
        host=args.host,
        crm_port=args.crm_port,
        erp_port=args.erp_port,
        scm_port=args.scm_port,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        live_activity=args.live,
        webhook_url=args.webhook_url,
    )

    def announce(sims: RunningSimulators) -> None:
        print(f"CRM  {sims.crm_url}/crm/v1   (Bearer {config.crm_token})", flush=True)
        print(f"ERP  {sims.erp_url}/jsonrpc  (X-Api-Key {config.erp_api_key})", flush=True)
        print(f"SCM  {sims.scm_url}/graphql  (Bearer {config.scm_token})", flush=True)
        print("Knobs: GET /_sim/stats, POST /_sim/reset, POST /_sim/faults on each", flush=True)

    with (
        contextlib.suppress(KeyboardInterrupt),
        asyncio.Runner(loop_factory=new_event_loop) as runner,
    ):
        runner.run(serve_forever(config, on_ready=announce))


DEMO_JWT_SECRET = "supplygraph-demo-secret-not-for-production"


def start_demo_systems(
    settings: Settings, latency_ms: float, gateway_url: str, certfile: str | None = None
) -> Settings:
    """Start the simulators in this process and point the settings at them.

    The simulators' live activity sends its signed webhooks to this gateway, so the demo
    shows orders move. The demo lets requests in without a token, and signs demo tokens
    with a demo secret so the customer view can be tried too.
    """
    from simulators.runner import SimulatorConfig, start_in_thread

    sims = start_in_thread(
        SimulatorConfig(
            crm_token=settings.crm_token.get_secret_value(),
            erp_api_key=settings.erp_api_key.get_secret_value(),
            scm_token=settings.scm_token.get_secret_value(),
            latency_ms=latency_ms,
            jitter_ms=latency_ms / 4,
            live_activity=True,
            webhook_url=gateway_url,
            # Served over HTTPS, the gateway is trusted by its own certificate.
            webhook_ca_file=certfile,
            webhook_secrets={
                "crm": settings.webhook_secret_crm.get_secret_value(),
                "erp": settings.webhook_secret_erp.get_secret_value(),
                "scm": settings.webhook_secret_scm.get_secret_value(),
            },
        )
    )
    logger.warning(
        "no upstream URLs set: started the demo CRM at %s, ERP at %s, SCM at %s",
        sims.crm_url,
        sims.erp_url,
        sims.scm_url,
    )
    update: dict[str, object] = {
        "crm_url": sims.crm_url,
        "erp_url": sims.erp_url,
        "scm_url": sims.scm_url,
    }
    if (
        settings.jwt_secret is None
        and settings.jwt_public_key is None
        and not settings.jwt_jwks_url
    ):
        update |= {"jwt_secret": SecretStr(DEMO_JWT_SECRET), "auth_disabled": True}
    if settings.redis_url is None:
        # The cross-system flows keep their event log in Redis: use a local one if it runs.
        redis_url = local_redis_url()
        if redis_url is not None:
            update["redis_url"] = redis_url
            logger.warning("demo: using the Redis at %s (cache, flows' event log)", redis_url)
        else:
            logger.warning("demo: no Redis on 127.0.0.1:6379, so the cross-system flows are off")
    return settings.model_copy(update=update)


def local_redis_url(host: str = "127.0.0.1", port: int = 6379) -> str | None:
    """``redis://host:port/0`` if a Redis answers there, else None."""
    import redis

    client = redis.Redis(host=host, port=port, socket_connect_timeout=0.3, socket_timeout=0.3)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        return None
    finally:
        client.close()
    return f"redis://{host}:{port}/0"


def print_demo_tokens(settings: Settings) -> None:
    if settings.jwt_secret is None:
        return
    secret = settings.jwt_secret.get_secret_value()
    staff = issue_token(
        secret, "demo-staff", "crm:read erp:read scm:read orders:write cache:bypass"
    )
    customer = issue_token(
        secret, "demo-app", "crm:read erp:read scm:read orders:write", customer_id="C-000001"
    )
    print("Demo tokens for GraphiQL's Headers pane (valid 24 h):", flush=True)
    print(f'  staff:    {{"Authorization": "Bearer {staff}"}}', flush=True)
    print(f'  customer: {{"Authorization": "Bearer {customer}"}}  (C-000001 only)', flush=True)


def tls_options(args: argparse.Namespace) -> dict[str, str]:
    """uvicorn's TLS options, checked here so that a wrong path stops ``serve`` at once."""
    certfile, keyfile = args.ssl_certfile, args.ssl_keyfile
    if certfile is None and keyfile is None:
        return {}
    if certfile is None or keyfile is None:
        raise SystemExit("refusing to start: --ssl-certfile and --ssl-keyfile go together")
    for flag, path in (("--ssl-certfile", certfile), ("--ssl-keyfile", keyfile)):
        if not path.is_file():
            raise SystemExit(f"refusing to start: {flag} {path} is not a readable file")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as error:
        raise SystemExit(
            f"refusing to start: cannot use {certfile} with {keyfile}: {error}"
        ) from None
    return {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)}


def serve(args: argparse.Namespace) -> None:
    tls = tls_options(args)
    scheme = "https" if tls else "http"
    # Before anything imports prometheus-client: several workers share their metrics
    # through files in PROMETHEUS_MULTIPROC_DIR, which must be set before then.
    prepare_multiprocess_dir(args.workers)
    settings = Settings.from_env()
    configure_logging_from(settings)
    demo = settings.uses_demo_systems
    if demo:
        gateway_url = f"{scheme}://{args.host}:{args.port}"
        settings = start_demo_systems(
            settings, args.demo_latency_ms, gateway_url, tls.get("ssl_certfile")
        )
        print_demo_tokens(settings)
    elif not (
        settings.jwt_secret
        or settings.jwt_public_key
        or settings.jwt_jwks_url
        or settings.auth_disabled
    ):
        raise SystemExit(
            "refusing to start: set GATEWAY_JWT_SECRET, GATEWAY_JWT_PUBLIC_KEY or "
            "GATEWAY_JWT_JWKS_URL to verify bearer tokens, or GATEWAY_AUTH_DISABLED=1 to let "
            "requests in without one"
        )
    try:
        # Here, before any worker starts: each would fail alone, and quietly.
        Authenticator(settings)
        checked_origins(settings.cors_origins)
        if settings.trusted_documents:
            from gateway.trusted_documents import TrustedDocuments

            TrustedDocuments.load(settings.trusted_documents)
    except ConfigurationError as error:
        raise SystemExit(f"refusing to start: {error}") from None
    # The demo's own systems take the demo credentials; real ones must not get them.
    refusal = None if demo else refusal_for_demo_credentials(settings)
    if refusal is not None:
        raise SystemExit(refusal)
    print(f"GraphiQL: {scheme}://{args.host}:{args.port}/graphql", flush=True)
    if args.workers == 1:
        # Imported here: with several workers the supervising process never builds an
        # app, and leaving GraphQL out of it keeps it small.
        from gateway.app import create_app

        app = create_app(settings)
        run_server(
            server_config(
                app,
                settings,
                host=args.host,
                port=args.port,
                log_level=settings.log_level,
                # Logging is ours (JSON lines); the access line comes from the middleware.
                log_config=None,
                access_log=False,
                **tls,
            )
        )
        return
    # Worker processes rebuild their settings from the environment they inherit.
    for name in ("crm_url", "erp_url", "scm_url", "jwt_secret", "auth_disabled", "redis_url"):
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is not None:
            os.environ[ENV_PREFIX + name.upper()] = "1" if value is True else str(value)
    run_server(
        server_config(
            "gateway.app:create_app_from_env",
            settings,
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=settings.log_level,
            log_config=None,
            access_log=False,
            **tls,
        )
    )


def run_server(config: uvicorn.Config) -> None:
    """What ``uvicorn.run`` does, for a config built here (it cannot take one)."""
    server = uvicorn.Server(config)
    if config.workers > 1:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    server.run()
    if not server.started:
        raise SystemExit(3)


def main(argv: Sequence[str] | None = None) -> None:
    # JSON lines; `serve` reconfigures with GATEWAY_LOG_LEVEL and GATEWAY_LOG_FORMAT.
    configure_logging()
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        serve(args)
    elif args.command == "simulators":
        run_simulators(args)
    elif args.command == "export-schema":
        from schema.build import SDL_PATH, export_sdl

        export_sdl(args.output or SDL_PATH)
        print(f"wrote {args.output or SDL_PATH}", file=sys.stderr)


if __name__ == "__main__":
    main()

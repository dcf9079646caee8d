"""Log lines as one JSON object each, with the request id, and without secrets.

    {"ts": "2025-01-31T12:00:00.123Z", "level": "info", "logger": "supplygraph.access",
     "msg": "POST /graphql 200", "request_id": "9f1c…", "status": 200, "duration_ms": 41.2}

Fields passed with ``extra={...}`` become fields of the object. ``request_id`` is the
current request's (``X-Request-Id``), on every line logged while serving it.

Secrets never reach the output: every string is scrubbed of the configured secrets
(every ``SecretStr`` setting: upstream tokens, keys, webhook and JWT secrets), of bearer
tokens and JWTs, and of ``token=…``/``api_key: …``-style values. The gateway does not
log headers or query strings in the first place; this is the net under that rule.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr

from gateway.observability.request_context import current_request_id
from gateway.settings import Settings

REDACTED = "[redacted]"
_MIN_SECRET_LENGTH = 6
_PATTERNS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*"), r"\1 " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"), REDACTED),
    (
        re.compile(
            r"(?i)\b((?:api[_-]?key|access[_-]?token|token|secret|password|authorization)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&}]+"
        ),
        r"\1" + REDACTED,
    ),
)
# Attributes every LogRecord has; anything else was passed with ``extra`` (but for
# uvicorn's terminal colours).
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "color_message"}
)


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so that a secret containing another is replaced whole.
        self.secrets = sorted(
            {secret for secret in secrets if len(secret) >= _MIN_SECRET_LENGTH},
            key=len,
            reverse=True,
        )

    def text(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {str(key): self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.text(str(value))


class JsonFormatter(logging.Formatter):
    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(self.redactor.value(entry), ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The plain format, for a terminal (``GATEWAY_LOG_FORMAT=text``), scrubbed the same."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redactor = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor.text(super().format(record))


def _timestamp(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


def secrets_of(settings: Settings) -> list[str]:
    """Every ``SecretStr`` value of the settings."""
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values.append(value.get_secret_value())
    return values


def configure_logging_from(settings: Settings) -> logging.Handler:
    return configure_logging(settings.log_level, settings.log_format, secrets_of(settings))


def configure_logging(
    level: str = "info", log_format: str = "json", secrets: Iterable[str] = ()
) -> logging.Handler:
    """One stderr handler on the root logger, replacing any other; returns it."""
    redactor = Redactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        TextFormatter(redactor) if log_format == "text" else JsonFormatter(redactor)
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # One line per upstream request drowns the gateway's own log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # uvicorn's own handlers would print a second, unstructured line; its access line
    # is replaced by the middleware's (with the request id and the operation).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = name != "uvicorn.access"
    return handler

"""The errors of supplygraph: one base class and a small hierarchy.

Every error the gateway raises on purpose is a ``SupplyGraphError``. Each class carries
the GraphQL ``extensions.code`` it is reported under; ``gateway.error_mapping`` turns
them into GraphQL errors in one place, and masks anything else as ``INTERNAL_ERROR``.

    SupplyGraphError
    ├── UpstreamError               a CRM, ERP or SCM call did not give a usable answer
    │   ├── UpstreamUnavailable     connection refused, reset, 5xx, breaker open
    │   ├── UpstreamTimeout         no answer within the configured time
    │   │   └── RequestDeadlineExceeded   cut short by its own request's deadline
    │   ├── UpstreamRateLimited     429 that outlived its Retry-After budget
    │   ├── UpstreamRejected        the upstream refused the request (401/403/400, AccessDenied)
    │   └── UpstreamBadResponse     an answer that does not follow the contract
    ├── NotFoundError               the named object does not exist
    ├── ConflictError               the object is in a state that forbids the change
    ├── InputValidationError        the client's input is wrong, with per-field messages
    ├── InputTooLargeError          the client's input makes an upstream request too large to send
    ├── ForbiddenError              the caller's token may not see or do this
    ├── UnsupportedCurrencyError    an amount in a currency the finance views do not sum
    ├── TokenExpiredError           a subscription's token expired while it streamed
    └── QueryRejectedError          the document breaks a configured query limit
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class SupplyGraphError(Exception):
    """Base of every error supplygraph raises on purpose."""

    code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def extensions(self) -> dict[str, object]:
        return {"code": self.code}


class UpstreamError(SupplyGraphError):
    """A call to one upstream system failed; ``system`` is ``crm``, ``erp`` or ``scm``."""

    code: ClassVar[str] = "UPSTREAM_UNAVAILABLE"

    def __init__(self, system: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.system = system
        self.status = status

    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "system": self.system}


class UpstreamUnavailable(UpstreamError):
    code: ClassVar[str] = "UPSTREAM_UNAVAILABLE"


class UpstreamTimeout(UpstreamError):
    code: ClassVar[str] = "UPSTREAM_TIMEOUT"


class RequestDeadlineExceeded(UpstreamTimeout):
    """The call was cut short (or never sent) because its request's deadline passed.

    It says as much about that request as about the system: another request waiting on
    the same fetch does not take this error over, it fetches for itself.
    """


class UpstreamRateLimited(UpstreamError):
    code: ClassVar[str] = "UPSTREAM_RATE_LIMITED"

    def __init__(self, system: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(system, message, status=429)
        self.retry_after = retry_after


class UpstreamRejected(UpstreamError):
    code: ClassVar[str] = "UPSTREAM_REJECTED"


class UpstreamBadResponse(UpstreamError):
    code: ClassVar[str] = "UPSTREAM_BAD_RESPONSE"


class NotFoundError(SupplyGraphError):
    code: ClassVar[str] = "NOT_FOUND"


class ConflictError(SupplyGraphError):
    code: ClassVar[str] = "CONFLICT"


class InputValidationError(SupplyGraphError):
    code: ClassVar[str] = "BAD_USER_INPUT"

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})

    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "fields": self.fields}


class InputTooLargeError(SupplyGraphError):
    """The client's input would make a request to ``system`` past ``limit`` (e.g. a URL of
    more than ``value`` bytes). Refused here for that request alone: it is not a failure
    of the system, so it is never retried and never counts toward its breaker."""

    code: ClassVar[str] = "INPUT_TOO_LARGE"

    def __init__(self, message: str, *, system: str, limit: str, value: int) -> None:
        super().__init__(message)
        self.system = system
        self.limit = limit
        self.value = value

    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "system": self.system, "limit": self.limit, "value": self.value}


class ForbiddenError(SupplyGraphError):
    code: ClassVar[str] = "FORBIDDEN"


class UnsupportedCurrencyError(SupplyGraphError):
    """Finance is kept in one currency; an order in another is never converted or summed."""

    code: ClassVar[str] = "UNSUPPORTED_CURRENCY"


class TokenExpiredError(SupplyGraphError):
    """A long-lived stream's token has expired: the client must reconnect with a new one."""

    code: ClassVar[str] = "UNAUTHENTICATED"


class QueryRejectedError(SupplyGraphError):
    """A document breaks a limit; ``limit`` names it and ``value`` is the configured bound."""

    code: ClassVar[str] = "QUERY_REJECTED"

    def __init__(self, message: str, *, limit: str, value: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.value = value

    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "limit": self.limit, "value": self.value}


class ConfigurationError(SupplyGraphError):
    """A setting the gateway cannot work with: it refuses to start rather than serve wrong.

    Never reaches a client; ``supplygraph serve`` prints the message and exits non-zero.
    """

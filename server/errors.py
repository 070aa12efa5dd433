"""One exception tree for everything the API can refuse, and the one place that maps it to HTTP.

::

    ApiError                    stable ``code`` + English and Chinese message + HTTP status
    ├── BadRequest              400  malformed_json, invalid_request, invalid_cursor, invalid_limit,
    │                                invalid_code, invalid_ceremony, invalid_credential, pin_required,
    │                                wrong_pin (with ``attempts_left``)
    ├── Unauthenticated         401  unauthenticated, pin_locked
    ├── NotFound                404  not_found
    ├── MethodNotAllowed        405  method_not_allowed (with ``Allow``)
    ├── RequestTimeout          408  request_timeout
    ├── Conflict                409  pin_already_set
    ├── PayloadTooLarge         413  payload_too_large, too_many_ops
    ├── UnsupportedMediaType    415  unsupported_media_type
    ├── RateLimited             429  rate_limited (``server.auth.rate_limit``; with ``Retry-After``)
    └── Busy                    503  busy (with ``Retry-After``): no lock or database answer in time

Per-op rejections inside a push are not exceptions that reach HTTP: they become ``rejected`` results
(see ``server.services.push``), because one bad op must never fail the batch.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = [
    "ApiError",
    "BadRequest",
    "Busy",
    "Conflict",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "RequestTimeout",
    "Unauthenticated",
    "UnsupportedMediaType",
    "api_error_handler",
]


class ApiError(Exception):
    """An error the client gets as ``{"error": {"code", "message", "message_zh", …extra}}``."""

    status_code = 400

    def __init__(
        self,
        code: str,
        message: str,
        message_zh: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.message_zh = message_zh
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "message_zh": self.message_zh, **self.extra}


class BadRequest(ApiError):
    status_code = 400


class Unauthenticated(ApiError):
    status_code = 401

    def __init__(
        self,
        message: str = "a valid device token is required",
        *,
        code: str = "unauthenticated",
        message_zh: str = "请先登记本设备",
    ) -> None:
        super().__init__(code, message, message_zh)


class NotFound(ApiError):
    status_code = 404

    def __init__(self, message: str = "not found") -> None:
        super().__init__("not_found", message, "未找到")


class MethodNotAllowed(ApiError):
    status_code = 405

    def __init__(self, method: str, path: str, allowed: list[str]) -> None:
        super().__init__(
            "method_not_allowed",
            f"{path} does not accept {method}; it accepts {', '.join(allowed)}",
            "不支持该请求方法",
            headers={"Allow": ", ".join(allowed)},
        )


class RequestTimeout(ApiError):
    """The client did not send its request in time; the connection is closed after the answer."""

    status_code = 408

    def __init__(self, message: str) -> None:
        super().__init__("request_timeout", message, "请求发送超时", headers={"Connection": "close"})


class Conflict(ApiError):
    status_code = 409


class PayloadTooLarge(ApiError):
    status_code = 413


class UnsupportedMediaType(ApiError):
    status_code = 415


class Busy(ApiError):
    """The server could not get a lock or an answer from the database within its bound: try again."""

    status_code = 503

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(
            "busy", message, "服务器繁忙，请稍后再试", headers={"Retry-After": str(max(1, retry_after))}
        )
        self.retry_after = max(1, retry_after)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse({"error": exc.to_json()}, status_code=exc.status_code, headers=exc.headers)

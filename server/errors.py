"""One exception tree for everything the API can refuse, and the one place that maps it to HTTP.

::

    ApiError                    stable ``code`` + English and Chinese message + HTTP status
    ├── BadRequest              400  malformed_json, invalid_request, invalid_cursor, invalid_limit,
    │                                invalid_code
    ├── Unauthenticated         401  unauthenticated
    ├── NotFound                404  not_found
    ├── PayloadTooLarge         413  payload_too_large, too_many_ops
    └── UnsupportedMediaType    415  unsupported_media_type

Per-op rejections inside a push are not exceptions that reach HTTP: they become ``rejected`` results
(see ``server.services.push``), because one bad op must never fail the batch.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = [
    "ApiError",
    "BadRequest",
    "NotFound",
    "PayloadTooLarge",
    "Unauthenticated",
    "UnsupportedMediaType",
    "api_error_handler",
]


class ApiError(Exception):
    """An error the client gets as ``{"error": {"code", "message", "message_zh"}}``."""

    status_code = 400

    def __init__(self, code: str, message: str, message_zh: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.message_zh = message_zh

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "message_zh": self.message_zh}


class BadRequest(ApiError):
    status_code = 400


class Unauthenticated(ApiError):
    status_code = 401

    def __init__(self, message: str = "a valid device token is required") -> None:
        super().__init__("unauthenticated", message, "请先登记本设备")


class NotFound(ApiError):
    status_code = 404

    def __init__(self, message: str = "not found") -> None:
        super().__init__("not_found", message, "未找到")


class PayloadTooLarge(ApiError):
    status_code = 413


class UnsupportedMediaType(ApiError):
    status_code = 415


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse({"error": exc.to_json()}, status_code=exc.status_code)

"""Domain errors raised by services; one handler turns them into `{"detail", "code"}` responses.

`error_responses(...)` documents those responses in the OpenAPI schema (`responses=` on a router or route), so every
status an endpoint can answer is published with the one error model.
"""

from pydantic import BaseModel


class FieldError(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    """Every error the API answers: a sentence for people and a stable code for programs."""

    detail: str
    code: str
    errors: list[FieldError] | None = None


_DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON text in UTF-8",
    401: "Missing or invalid bearer token",
    403: "The caller may not do this",
    404: "Not found (or not visible to the caller: another team's ticket reads the same as a missing one)",
    409: "Conflict with the current state",
    413: "Request body over the size limit",
    422: "Invalid input: `errors` lists each field and what is wrong with it",
    429: "Too many requests; `Retry-After` says in how many seconds to try again",
}


def error_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI `responses=` entries for these error statuses, all with the `{"detail", "code"}` model."""
    out: dict[int | str, dict] = {}
    for status in statuses:
        entry: dict = {"model": ErrorOut, "description": _DESCRIPTIONS[status]}
        if status == 429:
            entry["headers"] = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
        out[status] = entry
    return out


class DomainError(Exception):
    status_code = 400
    code = "bad_request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class TooManyRequests(DomainError):
    """Too many attempts: the response says when to try again (Retry-After, in seconds)."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, detail: str, retry_after: int, code: str | None = None):
        super().__init__(detail)
        self.retry_after = max(1, int(retry_after))
        if code:
            self.code = code

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}

"""HTTP guards that hold for every route, current and future: security headers, request size, NUL in the URL.

Security headers: every response says `X-Content-Type-Options: nosniff` and `Referrer-Policy`; every HTML page also
gets a Content-Security-Policy that allows scripts and styles only from this origin (no inline `<script>`, no
`onclick=`, no `style=` attributes or `<style>` blocks: put them in files the backend serves) and may not be framed.
A page that must talk to another origin adds it for itself, before it returns:

    allow_connect(request, "http://localhost:5005", "ws://localhost:5005")   # the widget's socket.io to Rasa

Request size: a body over `max_body_bytes` gets 413 `payload_too_large`, from its Content-Length before anything is
read, or as soon as a body sent without one (chunked) passes the limit.
"""

import json
from collections.abc import Iterable, Iterator

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Directives of the policy for HTML pages, in the order they are sent. 'none' as the default: whatever a page does
# not name here (frames, plugins, workers, manifests) it may not load at all.
BASE_POLICY: dict[str, list[str]] = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "object-src": ["'none'"],
    "worker-src": ["'none'"],
}
ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
_STATE_KEY = "csp_additions"


def extend_policy(request: Request, directive: str, *sources: str) -> None:
    """Let this one page load from more sources under `directive` (e.g. "connect-src")."""
    if directive not in BASE_POLICY:
        raise ValueError(f"unknown CSP directive {directive!r}; known: {', '.join(BASE_POLICY)}")
    for source in sources:
        if not source or any(c in source for c in ";,\r\n") or source.strip() != source or " " in source:
            raise ValueError(f"not a CSP source: {source!r}")
    additions = request.scope.setdefault("state", {}).setdefault(_STATE_KEY, {})
    additions.setdefault(directive, []).extend(sources)


def allow_connect(request: Request, *origins: str) -> None:
    """Let this page's scripts open connections (fetch, WebSocket, socket.io) to these origins too."""
    extend_policy(request, "connect-src", *origins)


def content_security_policy(additions: dict[str, Iterable[str]] | None = None) -> str:
    """The policy for an HTML page: the base one plus a page's own additions."""
    parts = []
    for directive, sources in BASE_POLICY.items():
        extra = [s for s in (additions or {}).get(directive, ()) if s not in sources]
        combined = [s for s in sources if not (extra and s == "'none'")] + extra
        parts.append(" ".join([directive, *combined]))
    return "; ".join(parts)


def _error(status: int, detail: str, code: str) -> tuple[Message, Message]:
    body = json.dumps({"detail": detail, "code": code}).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *ALWAYS],
    }
    return start, {"type": "http.response.body", "body": body}


class HttpGuards:
    """ASGI middleware: security headers on every response, the body size limit, no NUL in the URL."""

    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal:
            for message in _error(*refusal):
                await send(message)
            return

        limit, seen, tail = self.max_body_bytes, 0, b""
        form = any(
            n == b"content-type" and v.startswith(b"application/x-www-form-urlencoded") for n, v in scope["headers"]
        )

        async def counted_receive() -> Message:
            nonlocal seen, tail
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                seen += len(body)
                if seen > limit:
                    raise HTTPException(413, f"request body over the limit of {limit} bytes")
                if form:  # a form field's NUL arrives as %00, possibly split between two chunks
                    if b"%00" in tail + body:
                        raise HTTPException(422, "form fields may not contain NUL characters (%00)")
                    tail = body[-2:]
            return message

        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in ALWAYS if name not in names]
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if content_type.startswith(b"text/html") and b"content-security-policy" not in names:
                    policy = content_security_policy(scope.get("state", {}).get(_STATE_KEY))
                    headers.append((b"content-security-policy", policy.encode()))
                    headers.append((b"x-frame-options", b"DENY"))  # frame-ancestors, for browsers older than CSP 2
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, counted_receive, secured_send)

    def _refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            return 422, "the URL may not contain NUL characters (%00)", "invalid_input"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    return 400, "Content-Length is not a number", "bad_request"
                if length > self.max_body_bytes:
                    return 413, f"request body over the limit of {self.max_body_bytes} bytes", "payload_too_large"
        return None


def iter_routes(app) -> Iterator:
    """Every route of the app, with routers included at any depth flattened (each has .path, .methods, .matches)."""
    for route in app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()
        else:
            yield route


def allowed_methods(app, scope: Scope) -> list[str]:
    """The methods some route answers on this request's path: what a 405's `Allow` header must list."""
    methods: set[str] = set()
    for route in iter_routes(app):
        match, _ = route.matches({**scope, "method": "\x00"})  # no route answers this method: path-only matching
        if match != Match.NONE and route.methods:
            methods |= set(route.methods)
    return sorted(methods)


DOCS_FILES = {
    "swagger-ui.css": ("node_modules/swagger-ui-dist/swagger-ui.css", "text/css"),
    "swagger-ui-bundle.js": ("node_modules/swagger-ui-dist/swagger-ui-bundle.js", "text/javascript"),
    "docs.js": ("ticketing/static/docs/docs.js", "text/javascript"),
}


def install_api_docs(app) -> None:
    """/docs: Swagger UI from the pinned npm package (swagger-ui-dist), served by the backend like every page's
    scripts (no CDN), started by a file rather than an inline script, under the same policy as every page."""
    from fastapi.responses import FileResponse, HTMLResponse

    from ticketing.errors import NotFound
    from ticketing.settings import REPO_ROOT

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs(request: Request):
        return request.app.state.templates.TemplateResponse(request, "api_docs.html", {"title": app.title})

    @app.get("/docs/assets/{name}", include_in_schema=False)
    def api_docs_file(name: str):
        if name not in DOCS_FILES:
            raise NotFound(f"no file {name!r} for the API docs")
        path, media_type = DOCS_FILES[name]
        if not (REPO_ROOT / path).exists():
            raise NotFound("swagger-ui-dist is not installed: run `make run` (it runs npm ci)")
        return FileResponse(REPO_ROOT / path, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})

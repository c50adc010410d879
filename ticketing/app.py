"""The ticketing backend's application factory."""

import logging
import threading
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.search import KnowledgeBase
from ticketing.business.runtime import Business
from ticketing.channels.bot import BotSender
from ticketing.channels.worker import DeliveryWorker
from ticketing.db import make_engine, session_factory
from ticketing.errors import DomainError, InvalidInput, NotFound
from ticketing.limits import make_limits
from ticketing.live import LiveHub
from ticketing.security import HttpGuards, allowed_methods, install_api_docs
from ticketing.settings import Settings
from ticketing.tickets.intake import Intake

log = logging.getLogger("ticketing")
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    422: "invalid_input",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        if request.url.path.startswith("/console"):
            from ticketing.console.router import console_error

            return console_error(request, exc)
        return JSONResponse({"detail": exc.detail, "code": exc.code}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    # A model built from input inside a route (a console form, say) refused it: bad input as well, not a server error.
    @app.exception_handler(ValidationError)
    async def _validation(request: Request, exc: RequestValidationError | ValidationError):
        errors = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        if request.url.path.startswith("/console"):
            from ticketing.console.router import console_error

            return console_error(request, InvalidInput(detail))
        return JSONResponse({"detail": detail, "code": "validation_error", "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/console") and exc.status_code == 404:
            from ticketing.console.router import console_error

            return console_error(request, NotFound(str(exc.detail)))
        # The framework's own refusals; their headers matter (405 carries `Allow`).
        code = HTTP_CODES.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path answers, not only those of the first route that matched
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return JSONResponse({"detail": exc.detail, "code": code}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):
        log.exception("unexpected error", exc_info=exc)
        return JSONResponse({"detail": "internal error; it has been logged", "code": "internal_error"}, status_code=500)


class LazyKnowledgeBase:
    """The help center's KB, loaded on first use so the API starts fast."""

    def __init__(self, root: Path, categories: tuple[str, ...] | None = None):
        self.root, self.categories, self._kb, self._lock = root, categories, None, threading.Lock()

    def __getattr__(self, name: str):
        if self._kb is None:
            with self._lock:
                if self._kb is None:
                    self._kb = KnowledgeBase(self.root, self.categories)
        return getattr(self._kb, name)


def _kb_watcher(kb, stop: threading.Event, interval: float = 1.0) -> None:
    """Load the KB, then reload it when its folder changes: editors' changes show up without a restart, and no
    request ever waits for a reload (or a refit of the ranking)."""
    while not stop.is_set():
        try:
            kb.reload_if_changed(background=True)
        except Exception:
            log.exception("reloading the knowledge base failed; the previous one stays")
        stop.wait(interval)


def _sweeper(app: FastAPI, stop: threading.Event) -> None:
    """Every few seconds: assign queued tickets whose agent has freed up, and record SLA warnings and breaches."""
    from ticketing.routing.service import drain_queue
    from ticketing.sla.service import sweep

    while not stop.wait(app.state.settings.sweep_interval_seconds):
        try:
            with app.state.sessions() as session:
                now = datetime.now(UTC)
                drain_queue(session, app.state.business, now)
                session.commit()
                sweep(session, app.state.business, now)
        except Exception:
            log.exception("SLA sweep failed")


def create_app(
    settings: Settings | None = None,
    business: Business | None = None,
    kb: KnowledgeBase | None = None,
    background: bool = True,
) -> FastAPI:
    settings = settings or Settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        stop = threading.Event()
        workers = []
        if background:
            workers.append(
                threading.Thread(target=_kb_watcher, args=(app.state.kb, stop), name="kb-watch", daemon=True)
            )
        if settings.sweep_interval_seconds and background:
            workers.append(threading.Thread(target=_sweeper, args=(app, stop), name="sla-sweeper", daemon=True))
        for worker in workers:
            worker.start()
        if background:
            app.state.delivery.start()
        yield
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
        app.state.live.close()
        app.state.intake.close()
        app.state.delivery.close()
        engine.dispose()

    app = FastAPI(
        title="Mostrador ticketing",
        version="1.0",
        description="Tickets from the bot and other channels: classified, prioritised, routed and held to SLA.",
        lifespan=lifespan,
        docs_url=None,  # served by install_api_docs: no CDN, under the pages' CSP
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.live = LiveHub(engine)
    app.state.business = business or Business.load(
        settings.business_config, kb_dir=settings.kb_dir, cache_dir=settings.cache_dir
    )
    install_error_handlers(app)
    app.add_middleware(HttpGuards, max_body_bytes=settings.max_body_bytes)
    app.state.limits = make_limits(settings)
    install_api_docs(app)
    app.state.intake = Intake(app.state.sessions, app.state.business)

    app.state.kb = kb or LazyKnowledgeBase(settings.kb_dir, categories=tuple(app.state.business.config.categories))
    bot_sender = BotSender(
        settings.bot_url,
        settings.bot_api_token.get_secret_value() if settings.bot_api_token else None,
        timeout=settings.delivery_timeout_seconds,
    )
    app.state.delivery = DeliveryWorker(
        app.state.sessions,
        {"bot": bot_sender},
        deadline_seconds=settings.delivery_deadline_seconds,
        retry_base_seconds=settings.delivery_retry_base_seconds,
        retry_max_seconds=settings.delivery_retry_max_seconds,
        poll_seconds=settings.delivery_poll_seconds,
        lease_seconds=max(60.0, 4 * settings.delivery_timeout_seconds),
    )
    app.state.templates = Jinja2Templates(directory=TEMPLATES)

    from ticketing.agents.router import router as agents_router
    from ticketing.channels.router import router as channels_router
    from ticketing.console.router import router as console_router
    from ticketing.conversations.router import router as conversations_router
    from ticketing.kb.router import router as kb_router
    from ticketing.metrics.router import router as metrics_router
    from ticketing.privacy.router import router as privacy_router
    from ticketing.tickets.router import router as tickets_router
    from ticketing.widget.router import router as widget_router

    app.include_router(tickets_router)
    app.include_router(agents_router)
    app.include_router(metrics_router)
    app.include_router(kb_router)
    app.include_router(conversations_router)
    app.include_router(console_router)
    app.include_router(widget_router)
    app.include_router(privacy_router)
    app.include_router(channels_router)

    @app.get("/", include_in_schema=False)
    def home():
        return RedirectResponse("/help/es")

    @app.get("/health", tags=["ops"])
    def health():
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app

"""The website chat widget's files and settings, and the demo store page that embeds it.

The widget is one `<script>` tag on any site (README). Its own JavaScript and CSS live in `ticketing/widget/static/`
(no build step); socket.io's client is the pinned npm package, served from node_modules (`make` runs `npm ci`).
"""

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse

from ticketing.deps import BusinessDep, NowDep
from ticketing.errors import NotFound, error_responses
from ticketing.limits import rate_limited
from ticketing.security import allow_connect
from ticketing.settings import REPO_ROOT
from ticketing.widget import service

router = APIRouter(tags=["web chat widget"])
STATIC = Path(__file__).resolve().parent / "static"
SOCKET_IO_CLIENT = REPO_ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.esm.min.js"
OWN_FILES = {"mostrador.js": "text/javascript", "mostrador.css": "text/css", "demo.css": "text/css"}
# Files are named by version (/widget/v1/…): a browser may keep them a day.
ASSET_HEADERS = {
    "Cache-Control": "public, max-age=86400",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
    # Any site may embed the widget: the files are public, and module scripts from another origin need CORS.
    "Access-Control-Allow-Origin": "*",
    "Cross-Origin-Resource-Policy": "cross-origin",
}

DEMO_WORDS = {
    "es": {
        "tagline": "Tecnología con despacho a todo Chile",
        "nav": ["Celulares", "Computadores", "Audio", "Hogar inteligente"],
        "hero": "Ofertas de diciembre",
        "hero_text": "Hasta 12 cuotas sin interés con tarjetas de crédito seleccionadas. Retiro gratis en tienda.",
        "products": [
            ("Audífonos inalámbricos Cóndor Pulse", "$49.990"),
            ('Notebook Andes 14" 16 GB', "$699.990"),
            ("Parlante inteligente Cumbre", "$79.990"),
        ],
        "add": "Agregar al carro",
        "help": "Centro de ayuda",
        "other": "English",
        "footer": "Cóndor Store es una tienda de demostración de Mostrador. ¿Dudas? Abre el chat de la esquina.",
    },
    "en": {
        "tagline": "Electronics shipped all over Chile",
        "nav": ["Phones", "Computers", "Audio", "Smart home"],
        "hero": "December deals",
        "hero_text": "Up to 12 interest-free instalments with selected credit cards. Free pickup in store.",
        "products": [
            ("Cóndor Pulse wireless headphones", "$49,990"),
            ('Andes 14" laptop 16 GB', "$699,990"),
            ("Cumbre smart speaker", "$79,990"),
        ],
        "add": "Add to cart",
        "help": "Help center",
        "other": "Español",
        "footer": "Cóndor Store is Mostrador's demo shop. Questions? Open the chat in the corner.",
    },
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def socket_sources(socket_url: str) -> tuple[str, str]:
    """The socket.io server in a CSP `connect-src`: its http(s) origin and the same host over ws(s)."""
    origin = _origin(socket_url)
    return origin, origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1)


@router.get("/demo", include_in_schema=False)
def demo_home():
    return RedirectResponse("/demo/es")


@router.get(
    "/demo/{language}",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[rate_limited("demo-page", per_minute=120)],
)
def demo_store(request: Request, language: Literal["es", "en"]):
    """Cóndor Store's home page with the chat widget embedded exactly as README tells any site to do."""
    # The page's policy (ticketing.security): everything from this backend, no inline script; sockets to Rasa too.
    allow_connect(request, *socket_sources(request.app.state.settings.widget_socket_url))
    return request.app.state.templates.TemplateResponse(
        request, "demo_store.html", {"lang": language, "w": DEMO_WORDS[language]}
    )


# A page load asks for the settings once (a reload again); hundreds a minute from one address is not a customer.
@router.get(
    "/widget/v1/config", dependencies=[rate_limited("widget-config", per_minute=120)], responses=error_responses(429)
)
def widget_config(request: Request, business: BusinessDep, now: NowDep):
    """Where the widget's socket connects, and whether people are in now (and if not, when they are back)."""
    calendar = service.customer_service_calendar(
        business.calendars, [team.calendar for team in business.config.teams.values()]
    )
    hours = service.hours_at(calendar, now)
    return JSONResponse(
        {
            "name": business.config.name,
            "socket_url": _origin(request.app.state.settings.widget_socket_url),
            "socket_path": "/socket.io",
            "hours": {
                "open": hours.open,
                "opens_at": hours.opens_at.isoformat() if hours.opens_at else None,
                "timezone": hours.timezone,
            },
        },
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"},
    )


@router.get("/widget/v1/vendor/socket.io.esm.min.js", include_in_schema=False)
def socket_io_client():
    if not SOCKET_IO_CLIENT.exists():
        raise NotFound("socket.io-client is not installed: run `make run` (it runs npm ci)")
    return FileResponse(SOCKET_IO_CLIENT, media_type="text/javascript", headers=ASSET_HEADERS)


@router.get("/widget/v1/{name}", include_in_schema=False)
def widget_file(name: str):
    if name not in OWN_FILES:
        raise NotFound(f"no widget file {name!r}")
    return FileResponse(STATIC / name, media_type=OWN_FILES[name], headers=ASSET_HEADERS)

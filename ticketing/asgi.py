"""The ASGI entry point: `uvicorn ticketing.asgi:app`."""

from ticketing.app import create_app

app = create_app()

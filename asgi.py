"""``uvicorn asgi:app`` — an alias of ``portal:app`` (the UI and the HTTP routes in one ASGI app)."""

from portal import app

__all__ = ["app"]

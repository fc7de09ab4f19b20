"""The web page and its API (``inpaintkit serve``): see :mod:`inpaintkit.server.app`."""
from inpaintkit.server.app import bind, create_app, run
from inpaintkit.server.schemas import ServerSettings

__all__ = ["ServerSettings", "bind", "create_app", "run"]

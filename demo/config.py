"""Demo configuration from the environment, with embedded defaults (SQLite file, memory pub/sub)."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from liveui import ConfigurationError, LiveSettings, check_secret

__all__ = ["DemoConfig"]

log = logging.getLogger("demo")

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "var"


@dataclass(frozen=True)
class DemoConfig:
    database_url: str
    pubsub_url: str
    secret_key: str
    transport: str
    data_dir: Path
    https: bool = False
    """Served over https (LIVEUI_DEMO_HTTPS=1): `Secure` cookies and HSTS."""
    metrics_token: str = ""
    """LIVEUI_METRICS_TOKEN: a scraper sending it as a bearer token may read /metrics (an admin's
    session may always)."""

    @classmethod
    def from_env(cls) -> DemoConfig:
        data_dir = Path(os.environ.get("LIVEUI_DEMO_DATA_DIR") or DEFAULT_DATA_DIR)
        data_dir.mkdir(parents=True, exist_ok=True)
        database_url = os.environ.get("LIVEUI_DATABASE_URL") or f"sqlite:///{data_dir / 'demo.db'}"
        transport = os.environ.get("LIVEUI_TRANSPORT", LiveSettings().transport).lower()
        if transport not in ("sse", "ws"):
            raise SystemExit(f"LIVEUI_TRANSPORT must be 'sse' or 'ws', not {transport!r}")
        secret_key = os.environ.get("LIVEUI_SECRET_KEY") or _development_secret(data_dir)
        try:
            check_secret(secret_key)
        except ConfigurationError as exc:
            raise SystemExit(f"LIVEUI_SECRET_KEY: {exc}") from None
        return cls(
            database_url=database_url,
            pubsub_url=os.environ.get("LIVEUI_PUBSUB_URL") or "memory://",
            secret_key=secret_key,
            transport=transport,
            data_dir=data_dir,
            https=os.environ.get("LIVEUI_DEMO_HTTPS", "") in ("1", "true", "yes"),
            metrics_token=os.environ.get("LIVEUI_METRICS_TOKEN", ""),
        )


def _development_secret(data_dir: Path) -> str:
    """A secret kept beside the database, so `python -m demo token` matches the running server."""
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    log.warning("LIVEUI_SECRET_KEY is not set: using the development secret in %s", path)
    return path.read_text().strip()

"""One JSON line per event on stderr. Events carry no SDP, no ICE candidates and no client
addresses, and rooms appear as a short hash: operators see what happened, not who called."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from typing import Any

logger = logging.getLogger("visavis")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"))


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, name, extra={"fields": fields})


def room_id(code: str) -> str:
    """A stable, non-reversible name for a room in logs (the code itself grants entry)."""
    return hashlib.sha256(code.encode()).hexdigest()[:12]


def log_config(level: str) -> dict[str, Any]:
    """logging.dictConfig for visavis and uvicorn: JSON lines; uvicorn's own info lines name
    client addresses, so they appear only at the debug level; no access log."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": sys.stderr}
    uvicorn_level = "INFO" if level == "debug" else "WARNING"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"json": handler},
        "loggers": {
            "visavis": {"handlers": ["json"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["json"], "level": uvicorn_level, "propagate": False},
            "uvicorn.error": {"level": uvicorn_level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }

"""``secondline serve``: the web application under uvicorn.

Logs carry the method, path and status of each request, never a body, so no case
contents reach a log.
"""

from __future__ import annotations

import os
import sys

#: uvicorn's access log, reduced to what carries no case content
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(message)s"},
    },
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                   "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def serve(host: str, port: int, workers: int | None = None, db: str | None = None) -> int:
    """Run the application; ``workers`` processes, one per CPU core by default. ``db``
    (the case store's URL) reaches the worker processes through ``SECONDLINE_DB``."""
    import uvicorn

    from secondline._knowledge import load_knowledge
    from secondline._web.guard import uvicorn_settings

    load_knowledge()  # check the knowledge before listening: an invalid one exits 3
    if db:
        os.environ["SECONDLINE_DB"] = db
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"secondline: listening on {host}, reachable from other machines; put it "
              "behind TLS and access control before real cases are sent.", file=sys.stderr)
    count = workers if workers and workers > 0 else (os.cpu_count() or 1)
    uvicorn.run("secondline.web:create_app", factory=True, host=host, port=port,
                workers=count, log_config=LOG_CONFIG, server_header=False,
                **uvicorn_settings())
    return 0

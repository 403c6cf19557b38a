"""``secondline serve``: the web application under uvicorn.

Logs carry the method, path and status of each request, never a body, so no case
contents reach a log.

Each worker process runs ``worker_app``: the application of ``secondline.web:create_app``,
with the FHIR R4 models imported before the first request and everything made at start
moved out of the garbage collector's way (``gc.freeze``). Without that, a full collection
walks the few hundred thousand objects of the models and the knowledge, tens of
milliseconds during which the worker answers nothing.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

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


def worker_app() -> FastAPI:
    """The application for one worker process (see the module's text)."""
    from fhir.resources.R4B import get_fhir_model_class

    from secondline._cds_hooks.prefetch import TEMPLATES
    from secondline._web.app import create_app

    app = create_app()
    for kind in {"Bundle", "OperationOutcome", *(q.split("/")[0].split("?")[0]
                                                 for q in TEMPLATES.values())}:
        get_fhir_model_class(kind)
    gc.collect()
    gc.freeze()
    return app


def serve(host: str, port: int, workers: int | None = None, db: str | None = None,
          cds_trust: str | None = None) -> int:
    """Run the application; ``workers`` processes, one per CPU core by default. ``db``
    (the case store's URL) and ``cds_trust`` (the CDS Hooks trust file) reach the worker
    processes through ``SECONDLINE_DB`` and ``SECONDLINE_CDS_TRUST``."""
    import uvicorn

    from secondline._knowledge import load_knowledge
    from secondline._web.app import CDS_TRUST_ENV, cds_verifier
    from secondline._web.guard import uvicorn_settings

    load_knowledge()  # check the knowledge before listening: an invalid one exits 3
    if db:
        os.environ["SECONDLINE_DB"] = db
    count = workers if workers and workers > 0 else (os.cpu_count() or 1)
    if cds_trust:
        verifier = cds_verifier(cds_trust)  # an unusable file exits 2 before listening
        assert verifier is not None
        os.environ[CDS_TRUST_ENV] = str(Path(cds_trust).resolve())
        issuers = ", ".join(i.iss for i in verifier.trust.issuers)
        print(f"secondline: CDS Hooks: every hook call and feedback needs a JWT from a "
              f"trusted issuer ({issuers}).", file=sys.stderr)
        if count > 1:
            print("secondline: CDS Hooks: token ids (jti) are remembered per worker "
                  "process; a replay could reach another worker while the token lives. "
                  "Use --workers 1 where that matters.", file=sys.stderr)
    else:
        os.environ.pop(CDS_TRUST_ENV, None)
        print("secondline: CDS Hooks: no trust file (--cds-trust FILE), so the CDS services "
              "answer only clients on this machine (loopback); others get 403.",
              file=sys.stderr)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"secondline: listening on {host}, reachable from other machines; put it "
              "behind TLS and access control before real cases are sent.", file=sys.stderr)
    uvicorn.run("secondline._web.serve:worker_app", factory=True, host=host, port=port,
                workers=count, log_config=LOG_CONFIG, server_header=False,
                **uvicorn_settings())
    return 0

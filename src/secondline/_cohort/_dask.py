"""The engine on a Dask cluster: each batch a task running ``assess_batch`` in a worker.

The client reads and checks the input and sends each batch of valid cases to the
cluster, so the workers need secondline (``pip install 'secondline[dask]'``, the same
version) and nothing else: no shared storage, no copy of the input. A few batches are in
flight at a time, so memory stays bounded; results come back in order and are written
as they come. With no scheduler address a local cluster of worker processes is started
for the run and closed after it.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections import deque
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import polars as pl

from secondline._cohort._run import Work, assess_batch, counted, finish, prefetched
from secondline._errors import CaseError

if TYPE_CHECKING:
    from secondline._cohort._run import Counts, Settings, _Progress


def _client(settings: Settings) -> tuple[Any, Any]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise CaseError(["--engine: dask needs Dask, which is not installed here; "
                         "pip install 'secondline[dask]'"]) from None
    if settings.scheduler:
        try:
            return Client(settings.scheduler, timeout="15s"), None  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise CaseError([f"--scheduler: cannot reach {settings.scheduler} ({exc})"]) from None
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=settings.workers, processes=True, threads_per_worker=1,
        dashboard_address=None)
    return Client(cluster), cluster  # type: ignore[no-untyped-call]


def run_dask(settings: Settings, today: dt.date, counts: Counts,
             batches: Iterator[Work], progress: _Progress,
             client: Any = None) -> Generator[pl.DataFrame, None, None]:
    """Assess every batch on the cluster; each result, in order, as it comes back."""
    own = client is None
    cluster = None
    if own:
        client, cluster = _client(settings)
    try:
        workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
        in_flight: deque[tuple[Any, pl.DataFrame | None, int]] = deque()

        def done() -> pl.DataFrame:
            future, refs, size = in_flight.popleft()
            result, per_case = future.result()
            found = counted(finish(result, refs), per_case, counts)
            progress.advance(size, counts.read)
            return found

        for kept, refs, size in prefetched(batches):
            with warnings.catch_warnings():
                # each batch travels with its task, by design: the workers need no access
                # to the input (scattering it first would wait for each batch in turn)
                warnings.filterwarnings("ignore", "Sending large graph", UserWarning)
                future = client.submit(assess_batch, kept, settings.as_of, today,
                                       settings.guidance, pure=False)
            in_flight.append((future, refs, size))
            if len(in_flight) >= 2 * workers:
                yield done()
        while in_flight:
            yield done()
        counts.extra["dask_workers"] = workers
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()

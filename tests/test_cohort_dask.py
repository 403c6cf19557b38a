"""The same batch function on a real Dask cluster of worker processes gives the same rows
as the Polars engine in this process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from distributed import Client, LocalCluster

from cohort_cases import random_cases
from secondline._cohort._run import Settings, run


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalCluster]:
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                      dashboard_address=None) as found:
        yield found


def test_a_two_worker_cluster_gives_what_polars_gives(cluster: LocalCluster,
                                                       tmp_path: Path) -> None:
    with Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
    source = tmp_path / "cases.ndjson"
    cases = random_cases(4000, seed=31)
    lines = [json.dumps(c) for c in cases]
    lines.insert(100, '{"age": -1, "disease": "HCL"}')
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    polars = run(Settings(str(source), tmp_path / "polars", batch_rows=500, progress=False,
                          guidance="current"))
    dask = run(Settings(str(source), tmp_path / "dask", engine="dask",
                        scheduler=cluster.scheduler_address, batch_rows=500, progress=False,
                        guidance="current"))
    assert (dask.assessed, dask.rejected) == (polars.assessed, polars.rejected) == (4000, 1)
    assert dask.batches == polars.batches > 1  # each batch a task
    a = pl.read_parquet(tmp_path / "polars" / "assessments.parquet")
    b = pl.read_parquet(tmp_path / "dask" / "assessments.parquet")
    assert a.equals(b)
    for name in ("rejected.ndjson",):
        assert (tmp_path / "polars" / name).read_text() == (tmp_path / "dask" / name).read_text()
    summary = json.loads((tmp_path / "dask" / "summary.json").read_text())
    assert (summary["engine"], summary["dask_workers"]) == ("dask", 2)

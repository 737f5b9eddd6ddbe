"""The dlt pipeline: the shop's tables (``sql_database``) merged into ``raw_shop`` by primary key.

Each table is read where ``"updatedAt"`` >= the newest value the last run saw less ``SHOP_EXTRACT_LAG_SECONDS``
(dlt's incremental cursor with a lag): the overlap is read again and merged by ``id``, so it lands once. dlt keeps
the cursor in the destination (``raw_shop._dlt_pipeline_state``), loaded in the same package as the rows it
covers, so a run killed at any point either loaded both or neither; the next run first finishes a package the
killed one left in the working directory, and with no working directory at all it restores the state from the
warehouse. A full refresh drops raw_shop's rows and the cursors, then reads every row: the only way rows the shop
deleted leave raw_shop (docs/shop-database.md).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import URL

from shop_extract.settings import SHOP_TABLES, ShopExtractSettings
from warehouse.connection import WarehouseSettings

PIPELINE_NAME = "shop_extract"
log = logging.getLogger("clickstream.shop_extract")
DATASET = "raw_shop"


@dataclass(frozen=True)
class Loaded:
    # rows read per destination table (dlt's normalized names: order, order_item, ...), the overlap included
    rows: dict[str, int]
    load_ids: list[str]


def warehouse_url(warehouse: WarehouseSettings) -> str:
    kwargs = warehouse.connect_kwargs()
    return URL.create(
        "postgresql",
        username=kwargs["user"],
        password=kwargs["password"],
        host=kwargs["host"],
        port=kwargs["port"],
        database=kwargs["dbname"],
        query={"sslmode": kwargs["sslmode"], "connect_timeout": str(kwargs["connect_timeout"])},
    ).render_as_string(hide_password=False)


def shop_source(settings: ShopExtractSettings) -> Any:
    import dlt
    import sqlalchemy
    from dlt.sources.sql_database import sql_database

    engine = sqlalchemy.create_engine(settings.url(), **settings.engine_kwargs())
    source = sql_database(
        engine,
        schema=settings.pg_schema,
        table_names=list(SHOP_TABLES),
        reflection_level="full_with_precision",
        backend=settings.extract_backend,
        # sql_database's own default (False) trips its deprecation warning; None is "not given"
        detect_precision_hints=None,
    )
    for table in SHOP_TABLES:
        source.resources[table].apply_hints(
            primary_key="id",
            write_disposition="merge",
            incremental=dlt.sources.incremental("updatedAt", lag=float(settings.extract_lag_seconds)),
        )
    return source


def load_shop(settings: ShopExtractSettings, warehouse: WarehouseSettings, *, full_refresh: bool = False) -> Loaded:
    """Run the pipeline once (after finishing what a killed run left pending); what it read and its load ids."""
    # dlt reports anonymous usage to its makers by default: the warehouse has no route out, and no reason to.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    # Arrow tables get no _dlt_load_id/_dlt_id by default; raw_shop has them (docs/shop-database.md, the ledger's
    # load ids), whichever backend created its tables.
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")
    os.environ.setdefault("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_ID", "true")
    import dlt
    from dlt.pipeline.exceptions import PipelineStepFailed

    settings.extract_workdir.mkdir(parents=True, exist_ok=True)
    pipeline = dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        pipelines_dir=str(settings.extract_workdir),
        destination=dlt.destinations.postgres(credentials=warehouse_url(warehouse)),
        dataset_name=DATASET,
    )
    load_ids: list[str] = []
    if pipeline.has_pending_data:
        # A run killed between extract and load left its package: load it (run() then returns without extracting).
        try:
            load_ids += list(pipeline.run().loads_ids)
        except PipelineStepFailed:
            # Killed in the middle of moving it (normalize renames folders): the package cannot be finished. Start
            # from nothing local; dlt then restores the cursors from raw_shop, where only completed loads count
            # (_dlt_pipeline_state joined to _dlt_loads), and the rows read again merge by id.
            log.warning("shop extract: a pending package could not be finished; dropped, state from raw_shop")
            pipeline = pipeline.drop()
    source = shop_source(settings)
    options: dict[str, Any] = {"refresh": "drop_data"} if full_refresh else {}
    if settings.extract_backend == "pyarrow":
        # Arrow tables load as CSV files through COPY; the row-wise backend keeps dlt's INSERT files.
        options["loader_file_format"] = "csv"
    info = pipeline.run(source, **options)
    load_ids += list(info.loads_ids)
    trace = pipeline.last_trace
    normalized = trace.last_normalize_info if trace is not None else None
    rows = {
        table: count
        for table, count in (normalized.row_counts.items() if normalized is not None else ())
        if not table.startswith("_dlt")
    }
    return Loaded(rows, load_ids)

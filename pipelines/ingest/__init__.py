"""Ingest: an export file -> canonical rows and rejects -> one transactional load.

`prepare()` does everything that does not touch the store (read, detect, type, check), so
the CLI's `inspect` and the dashboard's preview show exactly what a load would do.

Modules: fields.py (the field reader: cleaning, skip rules, dates, numbers, reasons),
incidents.py / invoices.py (each kind's rows), keys.py (content keys and small helpers),
prepare.py (one file -> TypedExport), stream.py (a large CSV in batches, staged on disk),
load.py (TypedExport -> a load; ingest_file).
"""

from pipelines.ingest.load import (
    DATE_ORDER_PREFIX,
    MAPPING_PREFIX,
    ingest_file,
    load_context,
    load_prepared,
    load_unless_loaded,
    save_date_order,
    save_mapping,
    sha256_of,
)
from pipelines.ingest.prepare import Progress, TypedExport, prepare

__all__ = ["DATE_ORDER_PREFIX", "MAPPING_PREFIX", "Progress", "TypedExport", "ingest_file",
           "load_context", "load_prepared", "load_unless_loaded", "prepare", "save_date_order",
           "save_mapping", "sha256_of"]

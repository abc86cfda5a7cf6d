"""breakeven core: read exports, load them into per-workspace DuckDB stores, compute the metrics."""

__version__ = "0.1.0"

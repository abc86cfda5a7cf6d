"""The metric layer: typed functions over a workspace connection that return Polars frames.

One module per family of METRICS.md: `ttr` (section 3), `downtime` (4), `spend` (5);
`facts` holds the window and the per-incident facts they share, `summary` the JSON of
section 7 and the verdict. Import from here: `from pipelines.metrics import spend`.
"""

from pipelines.metrics.downtime import DowntimeResult, downtime, downtime_by_day
from pipelines.metrics.facts import (
    Facts,
    Filters,
    analysis_window,
    incident_counts,
    prepared,
)
from pipelines.metrics.spend import (
    SpendResult,
    break_even_price,
    cumulative_crossover,
    monthly_fee,
    run_rate_crossover,
    spend,
)
from pipelines.metrics.summary import metrics_json, verdict
from pipelines.metrics.ttr import TTRResult, time_to_resolve, ttr_by_category

__all__ = [
    "DowntimeResult", "Facts", "Filters", "SpendResult", "TTRResult", "analysis_window",
    "break_even_price", "cumulative_crossover", "downtime", "downtime_by_day",
    "incident_counts", "metrics_json", "monthly_fee", "prepared", "run_rate_crossover",
    "spend", "time_to_resolve", "ttr_by_category", "verdict",
]

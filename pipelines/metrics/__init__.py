"""The metric layer: typed functions over a workspace connection that return Polars frames.

One module per family of METRICS.md: `ttr` (section 3), `downtime` (4), `spend` (5);
`facts` holds the window and the per-incident facts they share, `summary` the JSON of
section 7 and the verdict. Import from here: `from pipelines.metrics import spend`.
"""

from pipelines.metrics import checks
from pipelines.metrics.downtime import DowntimeResult, downtime, downtime_by_day
from pipelines.metrics.facts import (
    Facts,
    Filters,
    analysis_window,
    incident_counts,
    prepared,
)
from pipelines.metrics.predictability import (
    Predictability,
    cv_in_words,
    predictability,
    predictability_of,
)
from pipelines.metrics.service import ServiceResult, service_levels
from pipelines.metrics.spend import (
    SpendResult,
    break_even_price,
    cumulative_crossover,
    exclusion_preview,
    exclusion_text,
    largest_lines,
    monthly_fee,
    run_rate_crossover,
    spend,
    spend_currency,
)
from pipelines.metrics.summary import metrics_json, verdict
from pipelines.metrics.ttr import TTRResult, time_to_resolve, ttr_by_category

__all__ = [
    "DowntimeResult", "Facts", "Filters", "Predictability", "ServiceResult", "SpendResult",
    "TTRResult", "analysis_window", "break_even_price", "checks", "cumulative_crossover",
    "cv_in_words", "downtime", "downtime_by_day", "exclusion_preview", "exclusion_text", "incident_counts",
    "largest_lines", "metrics_json", "monthly_fee", "predictability", "predictability_of",
    "prepared", "run_rate_crossover", "service_levels", "spend", "spend_currency", "time_to_resolve",
    "ttr_by_category", "verdict",
]

"""The metric layer: typed functions over a workspace connection that return Polars frames.

One module per family of METRICS.md: `ttr` (section 3), `downtime` (4), `spend` (5),
`checks` (8), `predictability` (9), `service` (10), `forecast` (11), `problems` (12),
`sensitivity`; each declares the scenario settings it reads (`SCENARIO_KEYS`). `facts`
holds the window and the per-incident facts they share, `figures` computes the families
once into one `Figures` (`compute`), `summary` renders that as the JSON of section 7 and
words the verdict. Import from here: `from pipelines.metrics import compute`.
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
from pipelines.metrics.figures import (
    FAMILIES,
    Figures,
    compute,
    computed,
    merged,
    scenario_keys,
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
from pipelines.metrics.summary import figures_json, metrics_json, verdict
from pipelines.metrics.ttr import TTRResult, time_to_resolve, ttr_by_category

__all__ = [
    "FAMILIES",
    "DowntimeResult",
    "Facts",
    "Figures",
    "Filters",
    "Predictability",
    "ServiceResult",
    "SpendResult",
    "TTRResult",
    "analysis_window",
    "break_even_price",
    "checks",
    "compute",
    "computed",
    "cumulative_crossover",
    "cv_in_words",
    "downtime",
    "downtime_by_day",
    "exclusion_preview",
    "exclusion_text",
    "figures_json",
    "incident_counts",
    "largest_lines",
    "merged",
    "metrics_json",
    "monthly_fee",
    "predictability",
    "predictability_of",
    "prepared",
    "run_rate_crossover",
    "scenario_keys",
    "service_levels",
    "spend",
    "spend_currency",
    "time_to_resolve",
    "ttr_by_category",
    "verdict",
]

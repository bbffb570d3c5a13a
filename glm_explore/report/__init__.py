"""The model report: what a model learned beyond k-mer counting (see :mod:`glm_explore.report.core`)."""

from .core import (
    SECTIONS,
    TABLES,
    ModelReport,
    ReportSettings,
    build_report,
    default_report_path,
    embedding_table,
    sections_arg,
    shipped_report,
)
from .tour import LOOK_FOR, tour_stops

__all__ = ["SECTIONS", "TABLES", "LOOK_FOR", "ModelReport", "ReportSettings", "build_report", "default_report_path",
           "embedding_table", "sections_arg", "shipped_report", "tour_stops"]

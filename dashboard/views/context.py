"""The context page's results: prediction quality vs visible context, and the banded dependency map."""

from __future__ import annotations

import streamlit as st

from dashboard import costs
from dashboard.results_cache import session_cached
from glm_explore import cost as gc
from glm_explore import cost_defaults as cd
from glm_explore.attention import MAX_ATTENTION_BP, attention_maps, top_partners
from glm_explore.context_curve import ContextCurve, context_curve
from glm_explore.dependency import MAX_BANDED_BP, banded_dependency_map
from glm_explore.io.genome import parse_region
from glm_explore.logits import region_window
from glm_explore.plots.attention import attention_heatmap, partners_chart
from glm_explore.plots.context_curve import banded_dependency_heatmap, context_curve_chart

SCALE_ABOVE = cd.SCALE_ABOVE  # parameters: bigger models get a default measured to finish in about a minute
BUDGET_SECONDS = cd.BUDGET_SECONDS


@st.cache_resource(show_spinner="Timing this model on a few positions to pick a default that fits…", max_entries=8)
def default_per_class(model_key: str, data_key: str, classes: tuple[str, ...], _model, _data) -> tuple[int, str]:
    """``(windows per class, note)``: the curve's default sample (:func:`glm_explore.cost_defaults.context_per_class`
    with this module's :data:`SCALE_ABOVE` and :data:`BUDGET_SECONDS`), once per model, genome and classes."""
    s = cd.context_per_class(_model, _data, classes=list(classes), budget=BUDGET_SECONDS, scale_above=SCALE_ABOVE)
    return s.value, s.note


def curve(run, model, data) -> ContextCurve | None:
    """The Run's context curve (once per session, progress bar); None while a long run waits for *Run anyway*."""
    p = run.params
    if not costs.gate("context_curves", run, lambda: gc.context_curve_cost(
            model, data, classes=list(p.classes), per_class=p.per_class, per_window=p.per_window,
            truncation=p.truncation, seed=p.seed), key="context_cost_go"):
        return None
    return session_cached("context_curves", run,
                          lambda progress: context_curve(model, data, classes=list(p.classes), per_class=p.per_class,
                                                         per_window=p.per_window, truncation=p.truncation,
                                                         seed=p.seed, progress=progress),
                          message="Cutting context…", max_entries=4)


def dependency(run, model, data):
    """The Run's banded dependency map of its region (once per session)."""
    p = run.params
    return session_cached("context_dependency", run,
                          lambda progress: banded_dependency_map(
                              model, region_window(data.genome, p.region, model, max_len=MAX_BANDED_BP),
                              band=p.band or None, progress=progress),
                          message="Mutating every position…", max_entries=2)


def show_curve(res: ContextCurve | None) -> None:
    """Curves per class with CIs, the receptive field marked, and the w90 table (nothing while ``res`` waits for
    *Run anyway*)."""
    if res is None:
        return
    st.plotly_chart(context_curve_chart(res), width="stretch", key="context_curve_chart")
    rf = "unbounded" if res.receptive_field is None else f"{res.receptive_field} bp"
    st.caption(f"{res.model} ({res.objective.upper()}): {res.truncation_label}; receptive field {rf}, full context = "
               f"{res.full_width} bp. Bits/base = −log2 P(ref) averaged over positions; ribbons are 95% bootstrap "
               "intervals over windows. w90: the smallest width that reaches 90% of the class's gain from the "
               "smallest width to full context. " + res.note)
    st.dataframe(res.w90, hide_index=True, width="stretch", key="context_w90")


def show_dependency(dep) -> None:
    """The banded dependency map (query position × offset)."""
    st.plotly_chart(banded_dependency_heatmap(dep), width="stretch", key="context_dependency_chart")
    st.caption("Each column mutates one query position to every other base and shows how much the predictions at "
               "positions within the band change (max |Δ log-odds|); only |i − j| ≤ band is computed, which for a "
               "model with a finite receptive field is everything that can change.")


def attention(run, model, data):
    """The Run's attention maps over its region (one layer and head; once per session)."""
    p = run.params

    def build(progress):
        r = data.genome.check_region(parse_region(p.region))
        if r.length > MAX_ATTENTION_BP:
            from glm_explore.errors import InputTooLargeError

            raise InputTooLargeError(f"Attention maps are limited to {MAX_ATTENTION_BP:,} bp; the region is "
                                     f"{r.length:,} bp. Choose a shorter region.")
        progress(0.2, "forward pass with attentions")
        return attention_maps(model, data.genome.fetch(r.chrom, r.start, r.end), layers=[p.layer], heads=[p.head],
                              chrom=r.chrom, start=r.start)

    return session_cached("context_attention", run, build, message="Reading attentions…", max_entries=2)


def show_attention(maps, layer: int, head: int, position: int) -> None:
    """The nucleotide × nucleotide attention of one head, and the top partners of one position (0 = the middle)."""
    st.plotly_chart(attention_heatmap(maps, layer, head), width="stretch", key="context_attention_chart")
    pos = position or int(maps.positions[len(maps.positions) // 2])
    partners = top_partners(maps, pos, layer=layer, head=head)
    st.plotly_chart(partners_chart(partners, title=f"Top partners of position {pos:,}"), width="stretch",
                    key="context_partners_chart")
    st.caption("Token attention mapped to nucleotides: each base of a token queries as its token does; a key token's "
               "weight is split evenly over its bases; weight on special tokens ([CLS], [SEP], …) is left out and "
               "shown as special_mass. Rows are queries, columns keys.")
    st.dataframe(partners, hide_index=True, width="stretch", key="context_partners")

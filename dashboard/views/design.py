"""The design page's results: the designed sequence(s) of a Run and their trajectory."""

from __future__ import annotations

import streamlit as st

from dashboard import costs
from dashboard.results_cache import session_cached
from glm_explore import cost_apply as ca
from glm_explore.io.genome import parse_region


def designed(run, model, data, held_probe: dict | None):
    """The design of a Run (once per session): start from the region or the pasted sequence, the Run's objective.
    None while a long Run waits for *Run anyway* (its measured cost in rounds shown)."""
    from glm_explore.design import DesignSettings, design
    from glm_explore.sequence import parse_positions

    p = run.params
    if p.start == "region":
        r = data.genome.check_region(parse_region(p.region))
        seq = data.genome.fetch(r.chrom, r.start, r.end)
    else:
        seq = p.sequence
    gc_range = None if (p.gc_lo, p.gc_hi) == (0.0, 1.0) else (p.gc_lo, p.gc_hi)
    settings = DesignSettings(p.objective, cls=p.real_class, motif=p.motif, rounds=p.rounds, edit_budget=p.budget,
                              method=p.method, beam_width=p.beam_width, candidates=p.candidates or None,
                              fixed=parse_positions(p.fixed), gc_range=gc_range, seed=p.seed)
    probe = None if held_probe is None else held_probe["probe"]

    def cost_of() -> ca.Cost:
        c = ca.design_cost(model, seq, settings, probe=probe)
        if not p.judge:
            return c
        n = p.n_real + 2 * (1 if p.method == "greedy" else p.beam_width)  # real + control + the designs kept
        return ca.plus(c, ca.judge_cost(model, length=len(seq), windows=n), f"embedding {n} windows to judge")

    if not costs.gate("design_results", run, cost_of, key="design_cost_go"):
        return None
    return session_cached("design_results", run,
                          lambda progress: design(None if p.objective == "motif" else model, seq, settings,
                                                  probe=probe, progress=progress),
                          message="Designing…", max_entries=4)


def show_design(res) -> None:
    """Start → designed value, the trajectory, the edits, the designed sequence and a FASTA download."""
    from glm_explore.design import design_fasta
    from glm_explore.plots.design import design_trajectory

    last = res.trajectory.iloc[-1]
    c1, c2, c3 = st.columns(3)
    c1.metric(f"{res.objective} ({res.units})", f"{res.value:.4f}", f"{res.value - res.start_value:+.4f} from start")
    c2.metric("Edits from the start", int(last["edits"]), f"budget {res.edit_budget}", delta_color="off")
    c3.metric("Rounds", int(last["round"]), res.stopped, delta_color="off")
    if res.objective.startswith("log P("):
        st.warning("A region-class probe can be fooled: a few edits may raise log P(class) without making the "
                   "window any more like real DNA of that class. Check designs with the genome-likeness numbers below.")
    st.plotly_chart(design_trajectory(res), width="stretch", key="design_trajectory_chart")
    c1, c2 = st.columns([1, 2])
    c1.dataframe(res.trajectory[["round", "edit", "objective", "gain", "edits", "gc"]], hide_index=True,
                 width="stretch", key="design_trajectory_table")
    marked = "".join(b.lower() if b != a else b for a, b in zip(res.start, res.sequence))
    c2.markdown("Designed sequence (edited bases in lower case):")
    c2.code(marked, wrap_lines=True)
    c2.download_button("Download designed FASTA", design_fasta(res), file_name="designed.fa", mime="text/plain",
                       key="design_download")

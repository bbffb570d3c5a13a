"""glm-explore: `streamlit run app.py`. Sidebar pickers are shared by every page.

Pages are grouped by what a visitor wants to do; a new page is one ``st.Page`` line in its section. Icons are
Streamlit's bundled Material Symbols (``:material/name:``), drawn from its own font, so they show on a machine
without an emoji font. Every page keeps its ``url_path`` (deep links, tests).
"""

from pathlib import Path

import streamlit as st

from dashboard import navigation, sidebar, warmup

# A local PNG (served by Streamlit itself): a ":material/…:" favicon would be fetched from fonts.gstatic.com.
FAVICON = Path(__file__).resolve().parent / "dashboard" / "static" / "favicon.png"
st.set_page_config(page_title="glm-explore", page_icon=str(FAVICON), layout="wide")

SECTIONS = {
    "Explore": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/logits.py", title="Nucleotide logits", icon=":material/text_fields:"),
        st.Page("pages/embeddings.py", title="Embedding explorer", icon=":material/scatter_plot:"),
        st.Page("pages/compare.py", title="Compare models", icon=":material/compare_arrows:"),
        st.Page("pages/browser.py", title="Genome browser", icon=":material/genetics:"),
    ],
    "Variants": [
        st.Page("pages/variants.py", title="Variant effects", icon=":material/difference:"),
    ],
    "Interpret": [
        st.Page("pages/attribution.py", title="Attribution & motifs", icon=":material/manage_search:"),
        st.Page("pages/motifs.py", title="Motifs across windows", icon=":material/extension:"),
        st.Page("pages/context.py", title="How far does a model look?", icon=":material/visibility:"),
        st.Page("pages/features.py", title="Learned features", icon=":material/category:"),
    ],
    "Apply": [
        st.Page("pages/generate.py", title="Generate sequences", icon=":material/auto_awesome:"),
        st.Page("pages/design.py", title="Design toward a goal", icon=":material/track_changes:"),
        st.Page("pages/annotate.py", title="Annotate by transfer learning", icon=":material/label:"),
    ],
    "Model": [
        st.Page("pages/report.py", title="Model report", icon=":material/summarize:"),
    ],
}
nav = st.navigation(SECTIONS, expanded=True)  # expanded: every page stays listed, however many there are
navigation.remember_page(nav.url_path)
warmup.motif_tools_warmup()  # TOMTOM / FIMO compile in the background while the user starts
sidebar.sidebar()
nav.run()

"""glm-explore: `streamlit run app.py`. Sidebar pickers are shared by every page."""

import streamlit as st

from dashboard import navigation, sidebar, warmup

st.set_page_config(page_title="glm-explore", page_icon="🧬", layout="wide")

pages = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/logits.py", title="Nucleotide logits", icon="🔤"),
    st.Page("pages/variants.py", title="Variant effects", icon="🧪"),
    st.Page("pages/embeddings.py", title="Embedding explorer", icon="🗺️"),
    st.Page("pages/attribution.py", title="Attribution & motifs", icon="🔍"),
    st.Page("pages/motifs.py", title="Motifs across windows", icon="🧩"),
    st.Page("pages/compare.py", title="Compare models", icon="⚖️"),
    st.Page("pages/report.py", title="Model report", icon="📋"),
    st.Page("pages/generate.py", title="Generate sequences", icon="🧬"),
    st.Page("pages/design.py", title="Design toward a goal", icon="🎯"),
    st.Page("pages/annotate.py", title="Annotate by transfer learning", icon="🏷️"),
    st.Page("pages/context.py", title="How far does a model look?", icon="🔭"),
]
nav = st.navigation(pages)
navigation.remember_page(nav.url_path)
warmup.motif_tools_warmup()  # TOMTOM / FIMO compile in the background while the user starts
sidebar.sidebar()
nav.run()

"""glm-explore: explore what genomic language models learned.

A plain library (no Streamlit): genomes and annotations in, arrays and DataFrames out.
See README.md and DESIGN notes for the module map.
"""

__version__ = "0.1.0"

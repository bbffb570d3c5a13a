"""User errors shown as ``st.error`` messages, never as tracebacks."""

from __future__ import annotations

import contextlib

import streamlit as st

from glm_explore.errors import GlmExploreError


@contextlib.contextmanager
def user_errors():
    """Show errors raised inside as ``st.error`` (a ``GlmExploreError``'s message says what to fix)."""
    try:
        yield
    except GlmExploreError as exc:
        st.error(str(exc))
    except Exception as exc:  # last line of defence in front of an audience
        st.error(f"Something went wrong ({type(exc).__name__}: {exc}). Your loaded data is kept; "
                 "change the inputs and try again.")

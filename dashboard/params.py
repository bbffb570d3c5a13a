"""A page's run parameters: one frozen dataclass, filled from the URL, drawn as widgets, written back.

A page declares its parameters as a frozen dataclass subclassing :class:`PageParams` with a
``PREFIX``. Field ``f`` is the widget keyed ``<PREFIX>_<f>`` and the URL query parameter ``f``
(``param(..., name="class")`` renames both). Field types: ``str``, ``int``, ``float``, ``bool`` and
tuples of ``int`` / ``str``. Each run a page

1. calls :func:`seed` before drawing its widgets: a widget new in this visit gets the URL's value
   (checked; a warning lists what was ignored), else this page's last view in the session, else the
   page's default; a kept value that is no longer a choice, or that the newly picked model / genome
   does not allow (e.g. a region of the previous genome), falls back to the default;
2. draws its widgets with those keys and no default values (Streamlit warns when both are given);
3. builds the dataclass with :func:`from_widgets` and hands it to :func:`dashboard.urls.link_box`,
   which writes it to the URL and shows the link;
4. on Run, keeps it with :func:`record_run`; :func:`last_run` gives it back while the model and
   genome stay the same.
"""

from __future__ import annotations

import functools
import math
import typing
from collections.abc import Callable, Collection, Hashable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar

import streamlit as st

from .caches import current_model_text, genome_key

# What a field may hold besides its declared range / choices: the allowed values, or a function
# returning what is wrong with a value (None if nothing).
Allowed = Collection | Callable[[Any], str | None]
P = TypeVar("P", bound="PageParams")
SHARED_NOTES_STATE = "_shared_link_notes"  # what a link's model / genome values could not give (dashboard.urls)


class PageParams:
    """Base of a page's frozen parameter dataclass; ``PREFIX`` names its widgets and session state."""

    PREFIX: ClassVar[str] = ""

    @classmethod
    def widget_key(cls, name: str) -> str:
        """Session-state key of the widget of field ``name``."""
        return next(s.key for s in _specs(cls) if s.attr == name)


def param(default: Any, *, name: str | None = None, lo: float | None = None, hi: float | None = None,
          choices: Collection | None = None) -> Any:
    """A dataclass field of a :class:`PageParams`: its default, URL / widget ``name`` (default: the field
    name), the range ``lo``..``hi`` of numbers and the allowed ``choices`` known before the page runs."""
    return field(default=default, metadata={"name": name, "lo": lo, "hi": hi, "choices": choices})


@dataclass(frozen=True)
class _Spec:
    attr: str  # dataclass field
    url: str  # query parameter
    key: str  # widget key
    kind: type  # str, int, float, bool or tuple
    item: type | None  # element type of a tuple
    lo: float | None
    hi: float | None
    choices: Collection | None


@functools.cache
def _specs(cls: type) -> tuple[_Spec, ...]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in fields(cls):
        tp, url = hints[f.name], f.metadata.get("name") or f.name
        is_tuple = typing.get_origin(tp) is tuple
        out.append(_Spec(f.name, url, f"{cls.PREFIX}_{url}", tuple if is_tuple else tp,
                         typing.get_args(tp)[0] if is_tuple else None, f.metadata.get("lo"), f.metadata.get("hi"),
                         f.metadata.get("choices")))
    return tuple(out)


# ---------------------------------------------------------------------------------------- text ↔ value

def _scalar(raw: str, tp: type) -> Any:
    text = raw.strip()
    if tp is bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError("use 1 or 0")
    if tp is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError("not a whole number") from None
    if tp is float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return value
    return raw


def _parse(raw: str, spec: _Spec) -> Any:
    if spec.kind is tuple:
        return tuple(_scalar(part, spec.item) for part in raw.split(",") if part.strip())
    return _scalar(raw, spec.kind)


def as_text(value: Any) -> str:
    """A parameter value as a URL writes it (tuples comma-separated, booleans 1 / 0)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(as_text(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def _problem(spec: _Spec, value: Any, allowed: Allowed | None) -> str | None:
    """What is wrong with ``value`` for ``spec`` (None if nothing)."""
    for v in value if spec.kind is tuple else (value,):
        if (spec.lo is not None and v < spec.lo) or (spec.hi is not None and v > spec.hi):
            return f"must be between {as_text(spec.lo)} and {as_text(spec.hi)}"
        for choices in (spec.choices, None if callable(allowed) else allowed):
            if choices is not None and v not in choices:
                shown = [as_text(c) for c in list(choices)[:12]]
                return "choose one of " + ", ".join(shown) + (", …" if len(choices) > 12 else "")
    return allowed(value) if callable(allowed) else None


def _from_widget(spec: _Spec, value: Any) -> Any:
    if spec.kind is tuple:
        return tuple(spec.item(v) for v in value or ())
    return spec.kind(value) if value is not None else value


def _to_widget(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


# ---------------------------------------------------------------------------------------- per run

def _view_key(cls: type) -> str:
    return f"_{cls.PREFIX}_view"


def _notes_key(cls: type) -> str:
    return f"_{cls.PREFIX}_link_notes"


def seed(defaults: PageParams, allowed: Mapping[str, Allowed] | None = None) -> None:
    """Fill the page's widget state before its widgets are drawn (see the module docstring).

    ``defaults`` are this page's defaults for the current model and genome; ``allowed`` maps field
    names to what the current model / genome allows. URL values that are malformed or not allowed
    are ignored and listed in an ``st.warning`` (shown until the next Run).
    """
    cls, allowed = type(defaults), allowed or {}
    last = st.session_state.get(_view_key(cls))
    context, context_key = _context(True), f"_{cls.PREFIX}_context"
    moved = st.session_state.get(context_key, context) != context  # another model or genome since the last run
    st.session_state[context_key] = context
    notes = []
    for spec in _specs(cls):
        default = getattr(defaults, spec.attr)

        def ok(value: Any, spec: _Spec = spec) -> bool:
            return _problem(spec, value, allowed.get(spec.attr)) is None

        if spec.key in st.session_state:  # kept: reset if the choices changed, or if the model / genome did
            now, rule = _from_widget(spec, st.session_state[spec.key]), allowed.get(spec.attr)
            if rule is not None and ((moved and not ok(now)) or (not callable(rule) and not all(
                    v in rule for v in (now if spec.kind is tuple else (now,))))):
                st.session_state[spec.key] = _to_widget(default)
            continue
        value = default
        if spec.url in st.query_params:
            raw = st.query_params[spec.url]
            try:
                parsed = _parse(raw, spec)
                problem = _problem(spec, parsed, allowed.get(spec.attr))
            except ValueError as exc:
                problem = str(exc)
            if problem:
                notes.append(f"{spec.url}={raw!r} ({problem})")
            else:
                value = parsed
        elif last is not None and ok(getattr(last, spec.attr)):
            value = getattr(last, spec.attr)
        st.session_state[spec.key] = _to_widget(value)
    if notes:
        st.session_state[_notes_key(cls)] = notes
    if st.session_state.get(_notes_key(cls)):
        st.warning("Ignored from the link: " + "; ".join(st.session_state[_notes_key(cls)])
                   + ". The page's defaults are used instead.")


def from_widgets(cls: type[P]) -> P:
    """The parameters the page's widgets hold now (form widgets: as last submitted)."""
    params = cls(**{s.attr: _from_widget(s, st.session_state[s.key]) for s in _specs(cls)})
    st.session_state[_view_key(cls)] = params
    return params


def region_problem(genome) -> Callable[[str], str | None]:
    """A check for a region field: what is wrong with a 1-based ``chrom:start-end`` on ``genome`` (None if fine)."""
    from glm_explore.errors import GlmExploreError
    from glm_explore.io.genome import parse_region

    def problem(text: str) -> str | None:
        try:
            genome.check_region(parse_region(text))
        except GlmExploreError as exc:
            return str(exc)
        return None

    return problem


def url_items(params: PageParams) -> dict[str, str]:
    """``params`` as URL query parameters (name → text)."""
    return {s.url: as_text(getattr(params, s.attr)) for s in _specs(type(params))}


# ---------------------------------------------------------------------------------------- runs

@dataclass(frozen=True)
class Run:
    """Parameters of a Run and what it ran on: model picker text ('' when the sidebar model is not
    used), genome key, and ``extra`` (e.g. the probe's digest)."""

    params: PageParams
    model: str
    genome: str
    extra: Hashable = None


def _context(uses_model: bool) -> tuple[str, str]:
    return (current_model_text() if uses_model else "", genome_key())


def record_run(params: PageParams, name: str = "run", *, uses_model: bool = True, extra: Hashable = None) -> None:
    """Keep ``params`` as the page's Run ``name`` (with the current model and genome)."""
    st.session_state[f"{params.PREFIX}_{name}"] = Run(params, *_context(uses_model), extra)
    st.session_state.pop(_notes_key(type(params)), None)
    st.session_state.pop(SHARED_NOTES_STATE, None)


def forget_run(cls: type[PageParams], name: str = "run") -> None:
    """Drop the page's Run ``name`` (e.g. before checking new inputs, so a rejected input shows no old result)."""
    st.session_state.pop(f"{cls.PREFIX}_{name}", None)


def last_run(cls: type[PageParams], name: str = "run", *, uses_model: bool = True) -> Run | None:
    """The page's last Run ``name`` if it ran on the current model (unless not ``uses_model``) and genome."""
    run = st.session_state.get(f"{cls.PREFIX}_{name}")
    return run if run is not None and (run.model, run.genome) == _context(uses_model) else None

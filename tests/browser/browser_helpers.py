"""Driving the Streamlit app in Chromium like a user: open a page, pick, type, press, read charts."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Plotly figures as drawn: every chart's traces (type, name, mode, number of points) and axis titles.
_FIGURES_JS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
  const lay = gd.layout || {};
  const title = a => (a && a.title) ? (typeof a.title === 'string' ? a.title : (a.title.text || '')) : '';
  const axes = {};
  for (const k of Object.keys(lay)) if (/^[xy]axis\\d*$/.test(k)) axes[k] = title(lay[k]);
  return {
    title: title(lay),
    axes: axes,
    traces: (gd._fullData || gd.data || []).filter(t => t.visible !== false).map(t => ({
      type: t.type || 'scatter', name: t.name || '', mode: t.mode || '',
      n: (t.x && t.x.length) || (t.y && t.y.length) || (t.z && t.z.length) || 0,
      x: Array.from(t.x || []).slice(0, 5000), y: Array.from(t.y || []).slice(0, 5000),
      text: Array.from(t.text || []).slice(0, 50), customdata: (t.customdata || []).length,
    })),
  };
})
"""


# The script run is over: Streamlit marks stApp with its script state; no spinner / skeleton left.
_IDLE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"]');
}
"""


class App:
    """One browser tab on the running app."""

    def __init__(self, page: Page, base: str, test_name: str) -> None:
        self.page, self.base = page, base
        self.name = re.sub(r"[^\w.-]+", "_", test_name)
        self.js_errors: list[str] = []
        self.shots = 0

    # ------------------------------------------------------------------ navigation / waiting
    def open(self, url_path: str = "", query: str = "") -> None:
        self.page.goto(f"{self.base}/{url_path}{'?' + query if query else ''}")
        self.page.wait_for_selector('[data-testid="stApp"]')
        self.wait_idle()

    def open_link(self, url: str) -> None:
        """Open a full link (e.g. one copied from the app)."""
        self.page.goto(url)
        self.page.wait_for_selector('[data-testid="stApp"]')
        self.wait_idle()

    def wait_idle(self, timeout_s: float = 120) -> None:
        """Until the script run finished (stApp's script state 'notRunning', no spinner), several polls in a row."""
        deadline, quiet = time.monotonic() + timeout_s, 0
        time.sleep(0.3)
        while quiet < 3:
            if time.monotonic() > deadline:
                self.screenshot("timeout")
                raise AssertionError(f"the app was still running after {timeout_s} s")
            idle = self.page.evaluate(_IDLE_JS)
            quiet = quiet + 1 if idle else 0
            time.sleep(0.2)
        self.assert_clean()

    # ------------------------------------------------------------------ checks
    def assert_clean(self) -> None:
        """No Streamlit exception box, no 'Traceback' anywhere on the page."""
        exc = self.page.locator('[data-testid="stException"]')
        if exc.count():
            self.screenshot("exception")
            raise AssertionError(f"Streamlit exception on the page: {exc.first.inner_text()[:800]}")
        body = self.page.locator("body").inner_text()
        assert "Traceback" not in body, body[body.index("Traceback"):][:800]

    def errors(self) -> list[str]:
        return [e.inner_text() for e in self.page.locator('[data-testid="stAlertContentError"]').all()]

    def screenshot(self, label: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        self.shots += 1
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    # ------------------------------------------------------------------ widgets
    def main(self) -> Locator:
        return self.page.locator('[data-testid="stMain"]')

    def sidebar(self) -> Locator:
        return self.page.locator('[data-testid="stSidebar"]')

    def select(self, label: str, option: str | re.Pattern, where: Locator | None = None) -> None:
        """Pick ``option`` (text or regex) in the selectbox labelled ``label``."""
        box = (where or self.page).get_by_role("combobox", name=label, exact=True).first
        box.click()
        self.page.get_by_role("option").filter(has_text=option).first.click()
        self.wait_idle()

    def radio(self, label: str, option: str, where: Locator | None = None) -> None:
        group = (where or self.page).locator('[data-testid="stRadio"]').filter(has_text=label).first
        group.get_by_text(option, exact=True).click()
        self.wait_idle()

    def type_text(self, label: str, text: str, where: Locator | None = None, submit: bool = True) -> None:
        """Fill a text input / area labelled ``label`` (Enter commits a text input outside a form)."""
        box = (where or self.page).get_by_label(label, exact=True).first
        box.fill(text)
        if submit:
            box.press("Enter" if box.evaluate("e => e.tagName") == "INPUT" else "Control+Enter")
            self.wait_idle()

    def press(self, name: str | re.Pattern, where: Locator | None = None, timeout_s: float = 120) -> None:
        (where or self.page).get_by_role("button", name=name).first.click()
        self.wait_idle(timeout_s)

    def upload(self, uploader_label: str, path: Path, where: Locator | None = None) -> None:
        zone = (where or self.page).locator('[data-testid="stFileUploader"]').filter(has_text=uploader_label).first
        zone.locator('input[type="file"]').set_input_files(str(path))
        expect(zone.get_by_role("button", name=f"Remove {path.name}")).to_be_visible()  # long names are elided

    def expand(self, label: str, where: Locator | None = None) -> Locator:
        exp = (where or self.page).locator('[data-testid="stExpander"]').filter(has_text=label).first
        if exp.locator("details").get_attribute("open") is None:
            exp.locator("summary").click()
        return exp

    def select_first_point(self, half: float) -> str:
        """Box-select a (2·half)-px square around the first scatter point (the chart's drag mode is
        "select") and return the text after "Selected window " in the heading the page then shows."""
        point = self.page.locator(".js-plotly-plot .scatterlayer .trace .point").first
        point.scroll_into_view_if_needed()
        box = point.bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        mouse = self.page.mouse
        mouse.move(cx - half, cy - half)
        mouse.down()
        mouse.move(cx, cy, steps=4)
        mouse.move(cx + half, cy + half, steps=4)
        mouse.up()
        self.wait_idle()
        heading = self.page.get_by_text(re.compile(r"^Selected window ")).first
        heading.wait_for()
        return heading.inner_text().strip().removeprefix("Selected window ").strip()

    def combobox(self, label: str, where: Locator | None = None) -> Locator:
        """The selectbox labelled exactly ``label`` (its value is the shown choice)."""
        return (where or self.main()).get_by_role("combobox", name=label, exact=True).first

    def slider(self, label: str, where: Locator | None = None) -> Locator:
        """The range input of the slider labelled exactly ``label`` (its value is the slider's)."""
        return (where or self.main()).locator('[data-testid="stSlider"]').filter(
            has=self.page.get_by_text(label, exact=True)).first.get_by_role("slider")

    # ------------------------------------------------------------------ links
    def location(self) -> str:
        """The address bar's URL (Playwright's ``page.url`` can lag behind ``history.pushState``)."""
        return self.page.evaluate("location.href")

    def copied_link(self) -> str:
        """Press the copy button of the sidebar's "Copy link to this view" box; the clipboard's text
        (the context needs clipboard permissions), checked against the link the box shows."""
        box = self.expand("Copy link to this view", where=self.sidebar())
        code = box.locator('[data-testid="stCode"]')
        button = box.get_by_role("button", name="Copy to clipboard", include_hidden=True)
        deadline = time.monotonic() + 30
        while not button.is_visible():  # the copy button shows while the pointer is over the code block
            if time.monotonic() > deadline:
                self.screenshot("no-copy-button")
                raise AssertionError("the copy button of the link box did not show on hover")
            code.scroll_into_view_if_needed()
            code.hover()
            time.sleep(0.2)
        button.click()
        copied = self.page.evaluate("navigator.clipboard.readText()")
        assert copied == code.text_content().strip(), (copied, code.text_content())
        return copied

    # ------------------------------------------------------------------ what is drawn
    def metric(self, label: str) -> str:
        """The value of the ``st.metric`` labelled ``label`` in the main area."""
        box = self.main().locator('[data-testid="stMetric"]').filter(has_text=label).first
        return box.locator('[data-testid="stMetricValue"]').inner_text().strip()

    def wait_charts(self, n: int = 1, timeout_s: float = 120) -> list[dict]:
        """The plotly figures on the page once at least ``n`` are drawn (each with ≥ 1 trace)."""
        deadline = time.monotonic() + timeout_s
        while True:
            figs = self.figures()
            if len(figs) >= n and all(f["traces"] for f in figs[:n]):
                return figs
            if time.monotonic() > deadline:
                self.screenshot("no-chart")
                raise AssertionError(f"expected {n} plotly chart(s), found {len(figs)}")
            time.sleep(0.3)

    def figures(self) -> list[dict]:
        return self.page.evaluate(_FIGURES_JS)

    def table_rows(self, index: int = 0, where: Locator | None = None) -> int:
        """Rows of the index-th visible ``st.dataframe`` in the main area (aria row count; header excluded)."""
        grid = (where or self.main()).locator('[data-testid="stDataFrame"]:visible').nth(index)
        grid.wait_for()
        n = grid.locator('[role="grid"], [role="table"]').first.get_attribute("aria-rowcount")
        return int(n) - 1

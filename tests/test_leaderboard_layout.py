"""The page's layout in headless Chromium: no table may overflow its card at 1400 or 1920 px (issue 13).

A probe script appended to a copy of the page measures, for every card (`section.group`, the legend
boxes, figures), whether its content is wider than the card (`scrollWidth > clientWidth`), and for
every table whether its right edge passes the card's content box; it also checks the page itself
does not scroll sideways. The verdict is written into `<body data-overflow=...>` and read back
with `--dump-dom`. No Node packages: only the chromium binary. Skipped (with the reason) when no
chromium binary is found; CI installs it.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from leaderboard.build import build_leaderboard
from tests.support.leaderboard import fold_data, make_demo_like_runs_dir, write_run

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"),
                             shutil.which("google-chrome")) if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary found (apt-get install chromium to run this test)")

PROBE = """<script>
(function(){
  var bad = [];
  function name(el){
    var sec = el.closest('section');
    var h = sec ? sec.querySelector('h2') : null;
    return el.tagName.toLowerCase() + (el.className ? '.' + el.className.replace(/ /g, '.') : '') +
           (h ? ' in "' + h.textContent.trim() + '"' : '');
  }
  var cards = document.querySelectorAll('section.group, p.legend, figure, nav, main');
  Array.prototype.forEach.call(cards, function(card){
    if (card.scrollWidth > card.clientWidth + 1)
      bad.push(name(card) + ': content ' + card.scrollWidth + ' px wide in a ' + card.clientWidth + ' px card');
  });
  Array.prototype.forEach.call(document.querySelectorAll('table'), function(t){
    var card = t.closest('section.group') || t.closest('main');
    var cs = getComputedStyle(card), r = card.getBoundingClientRect();
    var right = r.right - parseFloat(cs.paddingRight) - parseFloat(cs.borderRightWidth);
    var tr = t.getBoundingClientRect();
    if (tr.right > right + 1 || tr.width > r.width)
      bad.push('table in ' + name(card) + ': ends at ' + Math.round(tr.right) + ' px, card content ends at ' + Math.round(right) + ' px');
  });
  var doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth + 1)
    bad.push('page scrolls sideways: ' + doc.scrollWidth + ' px wide in a ' + window.innerWidth + ' px window');
  document.body.setAttribute('data-width', String(window.innerWidth));
  document.body.setAttribute('data-tables', String(document.querySelectorAll('table').length));
  document.body.setAttribute('data-overflow', JSON.stringify(bad));
})();
</script></body>"""


def chromium_cmd(profile: Path, width: int, height: int, *action: str) -> list[str]:
    """The headless flags this project uses for Chromium (no network, no sandbox as root, throwaway profile)."""
    return [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            f"--user-data-dir={profile}", f"--window-size={width},{height}", *action]


def _probe_page(runs: Path, root: Path) -> tuple[Path, str]:
    """Build the leaderboard of `runs` and write its page with the layout probe: (the probe page, the page's html)."""
    build_leaderboard(runs, root / "runs" / "leaderboard", n_resamples=100)
    html = (root / "runs" / "leaderboard" / "index.html").read_text(encoding="utf-8")
    probe = root / "probe.html"
    probe.write_text(html.replace("</body>", PROBE), encoding="utf-8")
    return probe, html


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layout")
    runs = make_demo_like_runs_dir(root / "runs", per_fold=20)
    probe, html = _probe_page(runs, root)
    assert html.count("</body>") == 1
    return probe


def _overflow(page: Path, width: int, tmp_path: Path) -> list[str]:
    """What the probe reports for `page` at `width` px (every overflowing card or table, or the page itself)."""
    cmd = chromium_cmd(tmp_path / "profile", width, 1000, "--dump-dom", page.as_uri())
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    body = re.search(r"<body[^>]*>", proc.stdout).group(0)
    assert f'data-width="{width}"' in body, body  # the window really had that width
    assert int(re.search(r'data-tables="(\d+)"', body).group(1)) >= 3
    raw = re.search(r"data-overflow=\"([^\"]*)\"", body).group(1)
    return json.loads(raw.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


@pytest.mark.parametrize("width", [1400, 1920])
def test_no_table_overflows_its_card(page: Path, width: int, tmp_path: Path) -> None:
    assert page.read_text().count("<table") >= 10
    overflow = _overflow(page, width, tmp_path)
    assert overflow == [], "\n".join(overflow)


ATTENTION = {"attention": {"n": 40, "entropy": {"gt": 0.85, "gs": 0.95, "al": 0.99, "ar": 0.995},
                           "cues": {"time": {"n": 30, "peak_in_span": 0.44, "mass_in_span": 0.4, "chance": 0.31}}}}


@pytest.fixture(scope="module")
def diagnostics_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A page with the validity panel (long verdict sentences) and the LE-MER attention table."""
    from tests.test_leaderboard_validity import BAD, _write

    root = tmp_path_factory.mktemp("layout-diag")
    runs = _write(root / "runs", {**BAD, "lemer": ({"words", "both"}, ["speech", "text"], ATTENTION)})
    probe, html = _probe_page(runs, root)
    assert 'id="attention"' in html and "FAILS validity checks" in html
    return probe


@pytest.mark.parametrize("width", [1400, 1920])
def test_validity_and_attention_sections_fit_their_cards(diagnostics_page: Path, width: int, tmp_path: Path) -> None:
    overflow = _overflow(diagnostics_page, width, tmp_path)
    assert overflow == [], "\n".join(overflow)


def test_probe_detects_an_overflowing_table(tmp_path: Path) -> None:
    """The measurement itself: a card holding a too-wide table must be reported."""
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><html><head><style>section.group{width:300px;padding:4px}</style></head><body>'
                    '<main><section class="group"><h2>x</h2><table><tr>' + "<td>wide-cell-content</td>" * 30
                    + "</tr></table></section></main></body></html>".replace("</body>", PROBE), encoding="utf-8")
    proc = subprocess.run(chromium_cmd(tmp_path / "profile", 1400, 800, "--dump-dom", page.as_uri()),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    raw = re.search(r"data-overflow=\"([^\"]*)\"", proc.stdout).group(1)
    assert "section.group" in raw and "card content ends at" in raw


def test_a_narrow_window_does_not_scroll_sideways(page: Path, tmp_path: Path) -> None:
    """Below the 900 px breakpoint (a phone's 390 px takes the same rules) the tables scroll inside their cards; the
    page itself never scrolls sideways. 500 px: headless Chromium's narrowest window."""
    overflow = _overflow(page, 500, tmp_path)
    assert not [o for o in overflow if o.startswith("page scrolls sideways")], "\n".join(overflow)


@pytest.fixture(scope="module")
def long_headline_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's widest headline rows: a babble condition ("gold · audio snr=5,noise=babble") and a long
    transcript-independent winner ("speech-only-meanpool ◇ (of N models)"), with speakers so every column is filled."""
    root = tmp_path_factory.mktemp("layout-headline")
    runs = make_demo_like_runs_dir(root / "runs", per_fold=20)
    rng = np.random.default_rng(5)
    data = fold_data("synthetic-crema-d", 2, 30)
    for audio in ("clean", "snr=5,noise=babble"):
        for model, acc in (("speech-only-meanpool", 0.8), ("speech-only-with-a-long-name", 0.7)):
            for fold, (uids, gold) in data.items():
                pred = [g if rng.random() < acc else "neu" for g in gold]
                write_run(runs, model=model, corpus="synthetic-crema-d", protocol="speaker-5fold", fold=fold, seed=0,
                          uids=uids, gold=gold, pred=pred, transcript_independent=True,
                          speakers=[f"{fold}-spk{i % 3}" for i in range(len(uids))],
                          run_extra={} if audio == "clean" else {"audio": audio})
    probe, html = _probe_page(runs, root)
    assert "snr=5,noise=babble" in html and "speech-only-meanpool" in html
    return probe


@pytest.mark.parametrize("width", [1400, 1920])
def test_a_demo_shaped_headline_fits_its_card(long_headline_page: Path, width: int, tmp_path: Path) -> None:
    overflow = [o for o in _overflow(long_headline_page, width, tmp_path) if "headline" in o]
    assert overflow == [], "\n".join(overflow)

"""index.html in headless Chromium: scripts run without error, tables render, header clicks sort.

Skipped (with the reason) when Chromium is not installed; the project does not require it.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from leaderboard.build import build_leaderboard
from tests.support.leaderboard import make_runs_dir

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")) if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium to run this test)")

# Appended to a copy of the page: click the "Model" header of the first cell table (sorts by name),
# then record the first row's model and the table count on <body>.
PROBE = """<script>
var t = document.querySelector('table.cell');
t.tHead.rows[0].cells[1].click();
document.body.setAttribute('data-first', t.tBodies[0].rows[0].cells[1].textContent);
document.body.setAttribute('data-tables', document.querySelectorAll('table').length);
</script></body>"""


def _dump_dom(page: Path, profile: Path) -> tuple[str, str]:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def test_page_runs_in_chromium(tmp_path: Path) -> None:
    runs = make_runs_dir(tmp_path / "runs", per_fold=20, seeds=(0, 1), cross_corpus=False)
    build_leaderboard(runs, tmp_path / "out", n_resamples=200)
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    probe = tmp_path / "out" / "probe.html"
    probe.write_text(html.replace("</body>", PROBE), encoding="utf-8")
    dom, log = _dump_dom(probe, tmp_path / "profile")
    errors = [line for line in log.splitlines() if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)]
    assert not errors, errors
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-js="ok"' in body  # the page's own script ran to its end
    assert 'data-first="audio-only' in body  # sorted by model name, ascending
    n_tables = int(re.search(r'data-tables="(\d+)"', body).group(1))
    assert n_tables >= 5 and dom.count("<table") == n_tables
    assert "Synthetic corpora — not the real IEMOCAP/MSP-Podcast/CREMA-D" in dom

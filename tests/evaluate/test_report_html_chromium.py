"""The HTML report renders in headless Chromium with every plot image loaded."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from relx.evaluate import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Runs after the images load: marks each rendered plot so --dump-dom shows it.
_CHECK = """
<script>
window.addEventListener('load', function () {
  for (const img of document.querySelectorAll('img.plot')) {
    img.setAttribute('data-ok', img.complete && img.naturalWidth > 0 ? 'yes' : 'no');
  }
  document.body.setAttribute('data-checked', 'yes');
});
</script>
"""


def _render(page: Path, profile: Path, screenshot: Path) -> str:
    base = [CHROMIUM, *_FLAGS, f"--user-data-dir={profile}"]
    subprocess.run([*base, "--window-size=1100,2400", f"--screenshot={screenshot}",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    dom = subprocess.run([*base, "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True)
    return dom.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
@pytest.mark.parametrize("kind", ["run", "cv"])
def test_report_html_renders_every_plot_in_chromium(
    kind: str, run_dir: Path, cv_dir: Path, tmp_path: Path
) -> None:
    target = run_dir if kind == "run" else cv_dir
    written = write_report(target, tmp_path / "report", n_bootstrap=50)
    assert written["plots"] == ["learning_curves", "per_class", "confusion", "pr_curves",
                                "f1_threshold"]
    html_path = Path(written["html"])
    page = html_path.read_text()
    assert "http://" not in page and "https://" not in page  # needs no network
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", _CHECK + "</body>"))
    screenshot = tmp_path / f"report_{kind}.png"
    dom = _render(probe, tmp_path / "profile", screenshot)
    assert 'data-checked="yes"' in dom
    images = re.findall(r"<img[^>]*class=\"plot\"[^>]*>", dom)
    assert len(images) == len(written["plots"])
    assert all('data-ok="yes"' in img for img in images), images
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000
    if kind == "cv":
        assert "mean ± std" in dom
        assert "fold_2" in dom
    assert "model_name_or_path" in dom  # the resolved config is shown
    md = Path(written["markdown"]).read_text()
    assert "![Confusion matrix](plots/confusion.png)" in md
    assert (tmp_path / "report" / "plots" / "confusion.png").is_file()

"""Feedback pages that show their maths without a network: a local MathJax beside them.

nbgrader's feedback template loads MathJax from a CDN, so a page opened offline (or on a
campus network that blocks the CDN) shows raw TeX. The feedback folder gets one copy of
MathJax 2.7 (from the ``jupyter-server-mathjax`` package, in the instructor's lock) with a
small configuration of its own (the STIX web fonts it ships, never image fonts),
and each page's script address is rewritten to that copy by a relative path, so the
folder can be zipped and sent as is.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

FOLDER = "mathjax"
CONFIG = "treeprop-offline"
CDN_SCRIPT = re.compile(
    r"""src=(["'])https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[0-9.]+/"""
    r"""(?:latest|MathJax)\.js\?config=[^"']*\1""")
# The package ships MathJax's combined TeX/MathML configuration with its HTML-CSS output and
# the STIX web fonts; this file only keeps MathJax from asking for fonts it does not have.
BASE_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"
CONFIG_SOURCE = """\
MathJax.Hub.Config({
  "HTML-CSS": {availableFonts: ["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web",
               imageFont: null},
  menuSettings: {zoom: "Click"}
});
MathJax.Ajax.loadComplete("[MathJax]/config/CONFIG.js");
""".replace("CONFIG", CONFIG)


def mathjax_source() -> Path | None:
    """The packaged MathJax folder, or None where the package is not installed."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        return None
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    return static if (static / "MathJax.js").is_file() else None


def install(feedback_root: Path) -> Path | None:
    """Copy MathJax into ``feedback_root/mathjax`` once; returns its MathJax.js (or None)."""
    source = mathjax_source()
    if source is None:
        return None
    target = feedback_root / FOLDER
    config = target / "config" / f"{CONFIG}.js"
    if not (target / "MathJax.js").is_file():
        partial = feedback_root / f".{FOLDER}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(source, partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
    if not config.is_file() or config.read_text() != CONFIG_SOURCE:
        config.write_text(CONFIG_SOURCE)
    return target / "MathJax.js"


def localize(page: Path, script: Path) -> bool:
    """Point one feedback page's MathJax script at the local copy; True if it changed."""
    html = page.read_text(errors="replace")
    relative = Path(os.path.relpath(script, page.parent)).as_posix()
    new, count = CDN_SCRIPT.subn(f'src="{relative}?config={BASE_CONFIG},{CONFIG}"', html)
    if count:
        page.write_text(new)
    return bool(count)

"""Every snippet of docs/clients.md runs: each code block under a ``<!-- run: MODULE -->`` line is executed in
a fresh interpreter (a ``python`` block as a script, a ``bash`` block with this interpreter's ``python`` first
on PATH), in a temporary folder, where MODULE is installed; skipped, with the reason, elsewhere.

Marked slow: each snippet is a short training run or an API test in a new process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "clients.md"
SNIPPET = re.compile(r"^<!-- run: ([\w.]+) -->\n```(python|bash)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def snippets() -> list[tuple[str, str, str, str]]:
    """(id, module, language, code) of each runnable block, the id naming the section it is in."""
    text = PAGE.read_text()
    found = []
    for match in SNIPPET.finditer(text):
        section = re.findall(r"^## (.+)$", text[: match.start()], re.MULTILINE)[-1]
        name = re.sub(r"\W+", "-", section.split(" (")[0]).strip("-").lower()
        found.append((name, match.group(1), match.group(2), match.group(3)))
    return found


SNIPPETS = snippets()


def test_the_page_has_a_snippet_for_every_client() -> None:
    sections = {name for name, *_ in SNIPPETS}
    expected = {"gymnasium", "stable-baselines3", "sb3-contrib", "rl_zoo3", "torchrl", "tianshou", "skrl"}
    expected |= {"cleanrl-style-loops", "rllib", "pettingzoo", "supersuit"}
    assert expected <= sections, f"docs/clients.md has no runnable snippet for {sorted(expected - sections)}"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "language", "code"), [s[1:] for s in SNIPPETS], ids=[f"{s[0]}-{s[1]}" for s in SNIPPETS]
)
def test_snippet_runs(module: str, language: str, code: str, tmp_path: Path) -> None:
    pytest.importorskip(module, reason=f"{module} is not installed here")
    script = tmp_path / ("snippet.py" if language == "python" else "snippet.sh")
    script.write_text(code)
    environment = dict(os.environ)
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    environment["OMP_NUM_THREADS"] = "1"  # tiny networks on shared cores: one torch thread is faster
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    command = (
        [sys.executable, str(script)] if language == "python" else ["bash", "-euo", "pipefail", str(script)]
    )
    completed = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, f"exit {completed.returncode}\n{completed.stderr[-4000:]}"

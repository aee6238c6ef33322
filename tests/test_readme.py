"""The README's Python example runs as printed and shows what it promises."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_matching_api_example_runs_and_ranks_the_fuller_earner_first():
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    example = next(b for b in blocks if "build_index(" in b)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("[('c") and "c3" not in lines[0]
    ranked = [line.split()[0] for line in lines[1:]]
    assert ranked[:2] == ["ada", "bo"]


def test_readme_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    first = text.split("---", 1)[0]
    assert "pip install -r requirements.txt && streamlit run portal.py" in first
    assert "bash scripts/test" in first
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test" in ci

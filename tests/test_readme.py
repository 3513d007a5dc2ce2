"""The README's Python quickstart runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_quickstart_runs(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README has no python block"
    monkeypatch.chdir(tmp_path)  # it writes vectors.txt and model.skw2v
    for code in blocks:
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    assert (tmp_path / "vectors.txt").stat().st_size > 0
    assert (tmp_path / "model.skw2v").stat().st_size > 0

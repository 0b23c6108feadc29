"""The documentation site: ``mkdocs build --strict`` over docs/ and the API pages generated from
the docstrings (mkdocstrings, numpydoc style) builds without a warning, and a broken link or a
missing reference makes it fail."""

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")

ROOT = Path(__file__).resolve().parents[1]


def build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)


@pytest.mark.slow
@pytest.mark.subprocess
def test_the_site_builds_strictly(tmp_path):
    out = build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert out.returncode == 0, out.stderr
    train = (tmp_path / "site" / "api" / "train" / "index.html").read_text()
    assert "Train a population of independent tabular agents" in train  # from the docstring
    for page in ("architecture", "sweeps", "textbook"):
        assert (tmp_path / "site" / page / "index.html").is_file()
    assert (tmp_path / "site" / "img" / "sweep_cliff_curves.png").is_file()  # the figures


@pytest.mark.subprocess
@pytest.mark.parametrize("page, problem", [
    ("index.md", "[a page that is not there](nowhere.md)\n"),
    ("api/solve.md", "\n::: fastq.solve.no_such_function\n"),
])
def test_a_broken_link_or_a_missing_reference_fails_the_build(tmp_path, page, problem):
    yaml = pytest.importorskip("yaml")
    docs = tmp_path / "docs"
    (docs / "api").mkdir(parents=True)
    (docs / "index.md").write_text("# Home\n\nThe [solvers](api/solve.md).\n")
    (docs / "api" / "solve.md").write_text("# Solvers\n\n::: fastq.solve.value_iteration\n")
    settings = yaml.safe_load((ROOT / "mkdocs.yml").read_text())  # the site's settings and plugins
    settings.update(docs_dir=str(docs), nav=[{"Home": "index.md"}, {"Solvers": "api/solve.md"}])
    settings["plugins"][1]["mkdocstrings"]["handlers"]["python"]["paths"] = [str(ROOT)]
    config = tmp_path / "mkdocs.yml"
    config.write_text(yaml.safe_dump(settings))
    ok = build(config, tmp_path / "site")
    assert ok.returncode == 0, ok.stderr
    with open(docs / page, "a") as fh:
        fh.write(problem)
    broken = build(config, tmp_path / "site")
    assert broken.returncode != 0
    assert "nowhere.md" in broken.stderr or "no_such_function" in broken.stderr


def test_every_test_that_reliability_md_names_exists():
    # docs/reliability.md pairs each promise with its tests: `tests/file.py::test_name`, and bare
    # `test_name`s after it in the same file.  A renamed or removed test must not leave a promise
    # without its check.
    import ast
    import re

    text = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    defined: dict = {}
    missing, named, current = [], 0, None
    for token in re.findall(r"`([^`]+)`", text):
        path, _, name = token.partition("::")
        if path.startswith("tests/") and path.endswith(".py"):
            current = path
            if not name:
                continue
        elif token.startswith("test_") and current:
            name = token
        else:
            continue
        if current not in defined:
            tree = ast.parse((ROOT / current).read_text(encoding="utf-8"))
            defined[current] = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        named += 1
        if name not in defined[current]:
            missing.append(f"{current}::{name}")
    assert named > 50 and missing == []

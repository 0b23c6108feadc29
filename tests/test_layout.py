"""The layout rules of docs/architecture.md, checked: tests mirror the package, modules stay small."""

from pathlib import Path

import fastq

PACKAGE = Path(fastq.__file__).resolve().parent
TESTS = Path(__file__).resolve().parent
#: Modules whose tests are elsewhere, and why.
ELSEWHERE = {
    "__init__.py": "tests/test_fastq.py",
    "_config.py": "numba settings: tests/test_cache.py (the compile cache), tests/test_parallel.py",
}
#: "About 500 lines" (DESIGN.md); a longer module is one cohesive thing, named here.
MOST_LINES = 520
LONGER = {
    "solve.py": "the exact solvers: value iteration, policy evaluation and the greedy metrics built on it",
    "cli.py": "the command: its parser, its six subcommands and the exit rules that keep every failure "
              "(a bad argument, a full disk, an unexpected error) to one line",
}


def test_every_module_has_its_test_file():
    missing = []
    for path in sorted(PACKAGE.glob("*.py")):
        name = path.stem.strip("_")  # fastq/_store.py -> tests/test_store.py
        if path.name in ELSEWHERE:
            continue
        if not (TESTS / f"test_{name}.py").is_file():
            missing.append(f"fastq/{path.name} -> tests/test_{name}.py")
    for package in ("gym",):
        if not (TESTS / f"test_{package}.py").is_file():
            missing.append(f"fastq/{package}/ -> tests/test_{package}.py")
    for folder in ("kernels", "reference"):  # the reference is tested beside the kernels it twins
        for path in sorted((PACKAGE / folder).glob("*.py")):
            name = path.stem.strip("_")
            if path.stem != "__init__" and name != "rng" and not (TESTS / "kernels" / f"test_{name}.py").is_file():
                missing.append(f"fastq/{folder}/{path.name} -> tests/kernels/test_{name}.py")
    # The contract's three implementations (rng.py, kernels/rng.py, reference/rng.py) are
    # checked against each other in one place, tests/test_rng.py.
    assert (TESTS / "test_fastq.py").is_file()
    assert missing == []


def test_modules_stay_about_500_lines():
    long = {}
    for path in PACKAGE.rglob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MOST_LINES and path.name not in LONGER:
            long[str(path.relative_to(PACKAGE))] = lines
    assert long == {}

"""The package's import graph: no cycles, and ``import fastq`` stays light.

The graph is read from the source (ast): every ``import`` and ``from ... import`` between fastq
modules, at the top of a module or inside a function (a lazy import is a dependency too).  A
module's implicit import of its parent package is not an edge.  Rules: docs/architecture.md.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import fastq

PACKAGE = Path(fastq.__file__).resolve().parent
#: Cycles owned by the kernel-layer issue (fastq.rng, fastq.reference): allowed here until it
#: lands; test_known_cycles_are_still_there fails once one is gone, so the allowance goes too.
KNOWN_CYCLES: list = []  # none: a new cycle fails test_no_import_cycles


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The fastq modules that module ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # "from .a import b": the submodule a.b if there is one, else a name of module a
            targets = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in known else origin
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # "fastq.kernels.rollouts.KEY" -> its module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_graph_is_read_right():
    edges = graph()
    assert "fastq.envs" in edges["fastq.solve"]  # from .envs import as_mdp
    assert "fastq.kernels.rollouts" in edges["fastq.core"]  # from .kernels import rollouts as _kernels
    assert "fastq._validate" in edges["fastq.gym._import"]  # from .. import _deprecation, _validate
    assert "fastq._train" in edges["fastq._sweep"]  # a lazy import inside _run_chunk


def test_a_cycle_is_found():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    found = [c for c in cycles(graph()) if c not in KNOWN_CYCLES]
    assert found == [], f"import cycles: {found}"


def test_the_old_cycles_are_gone():
    edges = graph()
    assert "fastq.envs" not in edges["fastq.mdp"]  # as_mdp moved to envs
    assert "fastq.cli" not in edges["fastq.benchmark"] and "fastq.cli" not in edges["fastq._sweep"]
    assert "fastq.reference.rng" not in edges["fastq.rng"]  # rng is a leaf
    assert not any(m.startswith("fastq.kernels") for m in edges["fastq.reference.learners"])
    assert "fastq" not in edges["fastq.benchmark"] and "fastq" not in edges["fastq._train"]


@pytest.mark.subprocess
def test_import_fastq_imports_no_optional_dependency_and_no_front_end():
    code = (
        "import sys, fastq\n"
        "heavy = ['gymnasium', 'matplotlib', 'pandas', 'dask', 'distributed', 'tqdm', 'mkdocs', 'tomllib',\n"
        "         'fastq.cli', 'fastq.plot', 'fastq.gym', 'fastq.benchmark', 'fastq.config', 'fastq.report']\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "print(len(sys.meta_path))\n"
    )
    before = subprocess.run([sys.executable, "-c", "import sys; print(len(sys.meta_path))"],
                            capture_output=True, text=True, timeout=60)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded, hooks = out.stdout.split("\n")[:2]
    assert loaded == "[]"
    assert hooks == before.stdout.strip()  # import fastq installs no import hook

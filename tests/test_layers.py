"""The grader's packages are layers whose imports run one way (autograder/__init__.py): each package's `__init__`
docstring names, in a line `May import: ...`, the packages its modules may import besides their own, and no module
imports one of a package not named there; no import cycle among the modules, counting imports inside functions."""
import ast
import re
from pathlib import Path

GRADER = Path(__file__).resolve().parents[1] / "autograder"


def module_of(path):
    """autograder/execution/worker.py -> 'execution.worker'; a package's __init__ -> the package."""
    parts = path.relative_to(GRADER).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name):
    path = GRADER.joinpath(*name.split(".")) if name else GRADER
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports(path):
    """The grader's modules that `path` imports (relative or absolute), anywhere in it."""
    here = module_of(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            parts = package.split(".") if package else []
            assert node.level - 1 <= len(parts), f"{path}: an import from above autograder"
            base = parts[:len(parts) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "autograder":
            prefix = node.module.removeprefix("autograder").lstrip(".")
        else:
            continue
        for alias in node.names:
            name = f"{prefix}.{alias.name}".lstrip(".")
            found.add(name if is_module(name) else prefix)
    return found - {here, ""}


def package_of(module):
    """The layer a module belongs to: its package, 'base' for autograder's own modules, 'top' for the command line."""
    first = module.split(".")[0]
    if (GRADER / first / "__init__.py").exists():
        return first
    return "top" if first in TOP else "base"


def allowed():
    """{package: packages it may import}, from the `May import:` line of each __init__ docstring."""
    rules = {}
    for init in [GRADER / "__init__.py", *GRADER.glob("*/__init__.py")]:
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        lines = re.findall(r"^May import: (.*)$", doc, flags=re.M)
        assert lines, f"{init}: its docstring has no 'May import:' line"
        for line in lines:
            who, _, what = line.partition(" -> ") if " -> " in line else (module_of(init) or "base", "", line)
            rules[who.strip()] = {w.strip(" .") for w in what.split(",") if w.strip(" .") != "nothing"}
    return rules


TOP = {"__main__", "gradescope"}


def graph():
    return {module_of(p): imports(p) for p in GRADER.rglob("*.py") if p.name != "sandbox_main.py"}


def test_no_module_imports_a_layer_above_its_own():
    rules, wrong = allowed(), []
    for module, deps in sorted(graph().items()):
        mine = package_of(module)
        for dep in sorted(deps):
            theirs = package_of(dep)
            if theirs != mine and theirs not in rules[mine]:
                wrong.append(f"{module} ({mine}) imports {dep} ({theirs}); {mine} may import {sorted(rules[mine])}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    modules, done, path = graph(), set(), []

    def visit(module):
        assert module not in path, " -> ".join(path[path.index(module):] + [module])
        if module in done:
            return
        path.append(module)
        for dep in sorted(modules.get(module, ())):
            visit(dep)
        path.pop()
        done.add(module)
    for module in sorted(modules):
        visit(module)


def test_the_sandboxed_program_imports_only_what_it_is_given():
    """sandbox_main.py runs inside the sandbox beside copies of protocol.py and procs.py (zygote.RUNNER_FILES), by
    their plain names: nothing else of the grader."""
    from autograder.sandbox.zygote import RUNNER_FILES
    given = {Path(f).stem for f in RUNNER_FILES}
    tree = ast.parse((GRADER / "sandbox" / "sandbox_main.py").read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))
    assert "autograder" not in names and {n for n in names if (GRADER / "sandbox" / f"{n}.py").exists()} <= given

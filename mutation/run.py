"""``make mutation``: how many deliberately broken versions of the engine the fast tests catch.

1. mutmut mutates ``autograd_tiny/engine.py``, ``value.py``, ``ops.py`` (its functions), the
   compiler (``codegen.py``, ``compiler.py``) and ``nn/module.py`` and runs the fast subset of
   the tests named in ``pyproject.toml`` (``[tool.mutmut]``) against each mutant; for
   ``nn/module.py`` only the saving and loading code is counted. ``--only PATTERN`` (mutmut's
   glob over mutant names, e.g. ``"autograd_tiny.codegen*"``) runs some of them, keeping the
   results of the others from the last run.
2. ``mutation.table`` mutates what mutmut cannot see, the op table's formula texts and forward
   lambdas, and ``TABLE_TESTS`` run against each of those mutants.
3. Mutants listed in ``mutation/equivalent.txt`` (each with the reason it cannot be told apart
   from the original) are left out; the rest give a kill rate per file, and every survivor is
   printed. The exit status is 1 if a file is under ``TARGET``.

``python -m mutation.run --report`` only reports on the last run; ``--table-only`` and
``--skip-table`` run one half.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.97
FILES = ("autograd_tiny/engine.py", "autograd_tiny/value.py", "autograd_tiny/ops.py",
         "autograd_tiny/codegen.py", "autograd_tiny/compiler.py", "nn/module.py")
TABLE = "ops.py op table"
# nn/module.py: the saving and loading code (state dicts, save, load and their helpers).
MODULE_SCOPE = {"StateDictError", "_names", "state_dict", "load_state_dict", "save",
                "_finite", "_write_atomic", "load", "_read_bounded", "_refuse_constant",
                "_check_size", "_format_problem", "parameter_count"}
# Run while the package is imported (they build the Value methods and the table's rules), before
# mutmut activates a mutant in a forked test run: mutmut cannot test these. The table mutator
# covers what they build (the rules), and the tests of the methods' docstrings and errors the
# rest when run against a mutated file.
IMPORT_TIME = {"_method", "_generate_rule"}
TABLE_TESTS = ["tests/test_ops_table.py", "tests/test_value.py", "tests/test_functional.py",
               "tests/test_edge_cases.py", "tests/test_value_errors.py",
               "tests/test_op_definitions.py", "tests/test_value_conventions.py"]
TABLE_DESELECT = "not million and not pytorch and not create_graph_grads_hold"
# A timeout counts as detected: the mutant changed what the tests see (they hang instead).
DETECTED = ("killed", "caught by type check", "timeout")
EQUIVALENT = ROOT / "mutation" / "equivalent.txt"
TABLE_RESULTS = ROOT / "mutants" / "table-results.json"
_FUNCTION = re.compile(r"\.x(?:ǁ(\w+)ǁ|_)(\w+?)__mutmut_\d+$")


def _env() -> dict[str, str]:
    # mutmut puts its mutants/ copy first on sys.path; a PYTHONPATH would shadow it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.setdefault("HYPOTHESIS_PROFILE", "dev")
    return env


def run_mutmut(children: int, only: list[str] | None = None) -> None:
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(children),
                    *(only or [])], cwd=ROOT, env=_env(), check=False)


def mutmut_statuses() -> dict[str, dict[str, str]]:
    """{file: {mutant: status}} from mutmut's results on disk."""
    from mutmut.stats import status_by_exit_code

    found: dict[str, dict[str, str]] = {}
    for name in FILES:
        meta = ROOT / "mutants" / f"{name}.meta"
        if not meta.exists():
            continue
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        statuses = {key: status_by_exit_code[code] for key, code in codes.items()}
        if name == "nn/module.py":
            statuses = {k: s for k, s in statuses.items() if _in_module_scope(k)}
        found[name] = statuses
    return found


def _in_module_scope(key: str) -> bool:
    m = _FUNCTION.search(key)
    return m is not None and (m.group(2) in MODULE_SCOPE or m.group(1) in MODULE_SCOPE)


def _import_time(key: str) -> bool:
    m = _FUNCTION.search(key)
    return m is not None and m.group(2) in IMPORT_TIME and m.group(1) is None


def run_table(only: set[str] | None = None) -> dict[str, str]:
    """Each table mutant (or those whose key is in ``only``) against ``TABLE_TESTS``:
    {key: "killed" | "survived" | "timeout"}, merged into the last results."""
    from mutation.table import mutants

    results: dict[str, str] = {}
    if only is not None and TABLE_RESULTS.exists():
        results = json.loads(TABLE_RESULTS.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="table-mutants-") as tmp:
        work = Path(tmp)
        for part in ("autograd_tiny", "nn", "tests", "notebooks", "docs"):
            shutil.copytree(ROOT / part, work / part,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for part in ("README.md", "pyproject.toml"):
            shutil.copy2(ROOT / part, work / part)
        ops = work / "autograd_tiny" / "ops.py"
        original = ops.read_text(encoding="utf-8")
        env = dict(_env(), PYTHONPATH=str(work))
        all_mutants = [m for m in mutants(ROOT / "autograd_tiny" / "ops.py")
                       if only is None or m.key in only]
        for n, mutant in enumerate(all_mutants, 1):
            ops.write_text(mutant.source, encoding="utf-8")
            try:
                run = subprocess.run(
                    [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                     "-k", TABLE_DESELECT, *TABLE_TESTS],
                    cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    timeout=300, check=False)
                status = "survived" if run.returncode == 0 else "killed"
            except subprocess.TimeoutExpired:
                status = "timeout"
            results[mutant.key] = status
            print(f"  table {n}/{len(all_mutants)} {status}: {mutant.key}", flush=True)
        ops.write_text(original, encoding="utf-8")
    TABLE_RESULTS.parent.mkdir(exist_ok=True)
    TABLE_RESULTS.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


def equivalents() -> dict[str, str]:
    """{mutant key: reason} from ``mutation/equivalent.txt`` (``key | reason`` per line)."""
    found = {}
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, reason = line.partition(" | ")
            found[key.strip()] = reason.strip()
    return found


def report(results: dict[str, dict[str, str]]) -> bool:
    """Print the kill rate per file and every survivor; True if every file meets TARGET."""
    equivalent = equivalents()
    met = True
    rows = ["| file | mutants | import-time | equivalent | killed | not killed | "
            "killed of non-equivalent |", "|---|---:|---:|---:|---:|---:|---:|"]
    survivors: list[str] = []
    for name, statuses in results.items():
        counted = {k: s for k, s in statuses.items()
                   if k not in equivalent and not _import_time(k)}
        counts = Counter(counted.values())
        eq = sum(1 for k in statuses if k in equivalent)
        total = sum(counts.values())
        killed = sum(counts[s] for s in DETECTED)
        rate = killed / total if total else 1.0
        met &= rate >= TARGET
        rows.append(f"| {name} | {len(statuses)} | {len(statuses) - len(counted) - eq} | {eq} "
                    f"| {killed} | {total - killed} | {rate:.1%} |")
        survivors += [f"  {name}: {s}: {k}" for k, s in sorted(counted.items())
                      if s not in DETECTED]
    print("\n".join(rows))
    if survivors:
        print("\nNot killed (and not listed as equivalent):")
        print("\n".join(survivors))
    stale = set(equivalent) - {k for statuses in results.values() for k in statuses}
    if stale:
        print(f"\n{len(stale)} entries of {EQUIVALENT.name} match no mutant of this run "
              "(the code changed): review them")
    print(f"\ntarget: at least {TARGET:.0%} of non-equivalent mutants killed per file: "
          f"{'met' if met else 'NOT met'}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="report on the last run only")
    parser.add_argument("--table-only", action="store_true")
    parser.add_argument("--skip-table", action="store_true")
    parser.add_argument("--retry-table-survivors", action="store_true",
                        help="run the table's surviving mutants again (after adding tests)")
    parser.add_argument("--children", type=int, default=2, help="mutmut's parallel workers")
    parser.add_argument("--only", action="append", metavar="PATTERN",
                        help="run only the mutmut mutants whose names match (repeatable)")
    args = parser.parse_args()
    if not (args.report or args.table_only or args.retry_table_survivors):
        run_mutmut(args.children, args.only)
    if args.retry_table_survivors:
        last = json.loads(TABLE_RESULTS.read_text(encoding="utf-8"))
        table = run_table({k for k, s in last.items() if s == "survived"})
    elif args.report or args.skip_table:
        table = json.loads(TABLE_RESULTS.read_text()) if TABLE_RESULTS.exists() else {}
    else:
        table = run_table()
    results = mutmut_statuses()
    if table:
        results[TABLE] = table
    sys.exit(0 if report(results) else 1)


if __name__ == "__main__":
    main()

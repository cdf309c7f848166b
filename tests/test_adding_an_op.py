"""What README's contributor section promises: adding an op is one table entry and one Value
method (plus its name in README's list of methods, which a test checks), and the op-driven
tests pick it up without an edit. Shown by adding ``atan`` to a copy of the project and
running those tests there."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The edits a contributor makes, as (file, text found, text put in its place).
ATAN = [
    ("autograd_tiny/ops.py", '        Op("sum", -1,',
     '        Op("atan", 1, math.atan, ("1 / (1 + x**2)",), ON_ANY,\n'
     '           reference=lambda x: math.asin(x / math.sqrt(1 + x * x))),\n'
     '        Op("sum", -1,'),
    ("autograd_tiny/value.py", '    cos = _method("cos")\n',
     '    cos = _method("cos")\n    atan = _method("atan")\n'),
    ("README.md", "softplus sin cos`", "softplus sin cos atan`"),
]

# The tests that sweep the op table, unedited: the files that check lists against the table
# run whole, the slower ones for their atan cases only.
WHOLE = ["tests/test_ops_table.py", "tests/test_edge_cases.py", "tests/test_functional.py",
         "tests/test_value_errors.py", "tests/test_op_definitions.py", "tests/test_lists.py"]
ATAN_CASES = ["tests/test_properties.py", "tests/test_compile.py", "tests/test_steps.py"]


def copy_with_atan(tmp: Path) -> Path:
    copy = tmp / "project"
    for name in ("autograd_tiny", "nn", "tests"):
        shutil.copytree(ROOT / name, copy / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, copy / name)
    for path, old, new in ATAN:
        text = (copy / path).read_text(encoding="utf-8")
        assert text.count(old) == 1, (path, old)
        (copy / path).write_text(text.replace(old, new), encoding="utf-8")
    return copy


def run_pytest(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The copy first on sys.path, ahead of the installed (editable) package.
    code = (f"import sys; sys.path.insert(0, {str(copy)!r}); import pytest; "
            f"sys.exit(pytest.main({list(args)!r}))")
    return subprocess.run([sys.executable, "-c", code], cwd=copy, capture_output=True,
                          text=True, timeout=900)


def test_adding_atan_takes_the_table_entry_and_the_method_and_no_test_edit(tmp_path):
    copy = copy_with_atan(tmp_path)
    collected = run_pytest(copy, "--collect-only", "-q", "-p", "no:cacheprovider", *WHOLE,
                           *ATAN_CASES)
    assert collected.returncode == 0, collected.stdout[-3000:]
    ids = [line for line in collected.stdout.splitlines() if "atan" in line]
    # atan is swept (the copy's table is the one imported): forward against its reference,
    # partials and the 0.1% check, PyTorch at NaN, compiled code, properties, ...
    for test in ("test_ops_table.py::test_forward_matches_an_independent_reference[atan]",
                 "test_ops_table.py::test_every_partial_matches_central_differences[atan]",
                 "test_ops_table.py::test_the_sweep_catches_a_partial_off_by_a_tenth_of_a_"
                 "percent[atan-0]",
                 "test_edge_cases.py::test_every_op_gives_nan_for_a_nan_operand_as_pytorch_does"
                 "[atan]",
                 "test_properties.py::test_gradcheck_passes_on_every_op[atan]"):
        assert any(test in i for i in ids), (test, ids)
    assert any("test_compile.py" in i for i in ids), ids
    for args in (WHOLE, ["-k", "atan", *ATAN_CASES]):
        result = run_pytest(copy, "-q", "-p", "no:cacheprovider", *args)
        assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]

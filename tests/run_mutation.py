"""Mutation testing, one module at a time: ``make mutation`` (or this script with module paths).

For each module in ``[tool.partnercenter.mutation]`` (pyproject.toml) the runner copies ``src``,
``tests`` and ``pyproject.toml`` into a scratch directory, narrows ``[tool.mutmut]`` there to
that module and its mapped test files (the whole suite takes minutes; the mapped files hold
the tests that exercise the module), runs ``mutmut run --max-children N`` (default 1: the
machine is shared), and prints the score and the diff of every surviving mutant. The
repository itself is never touched and nothing is left behind.

    .venv/bin/python tests/run_mutation.py [--max-children N] [src/partnercenter/...py ...]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).with_name("mutmut")
KILLED = {"killed", "timeout"}
#: Tests that check a warning's stack level: mutmut's trampoline adds stack frames, so they
#: fail under it whatever the mutant (the clean run would stop mutmut before it starts).
DESELECT = [
    "tests/client/test_errors.py::test_mfa_missing_warns",
    "tests/auth/test_credentials.py::test_graph_windows_net_warns",
]


def narrowed_pyproject(text: str, module: str, tests: list[str]) -> str:
    """``pyproject.toml`` with its ``[tool.mutmut]`` table replaced by one for ``module``.

    An entry of the mapping that starts with ``!`` is a test to leave out (``--deselect``):
    a test that spawns processes or an emulator costs seconds for every mutant it reaches,
    while a unit test of the same file reaches the same code in milliseconds.
    """
    excluded = [test.removeprefix("!") for test in tests if test.startswith("!")]
    tests = [test for test in tests if not test.startswith("!")]
    deselect = [arg for test in [*DESELECT, *excluded] for arg in ("--deselect", test)]
    kept = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[)", "", text)
    table = (
        "[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"only_mutate = {json.dumps([module])}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        f"pytest_add_cli_args = {json.dumps(['-p', 'no:cacheprovider', *deselect])}\n"
    )
    return kept.rstrip() + "\n\n" + table


def results(work: Path) -> dict[str, str]:
    out = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, str] = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep:
            found[name] = status
    return found


def run_module(module: str, tests: list[str], max_children: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        work = Path(tmp)
        shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(
            ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__")
        )
        text = (ROOT / "pyproject.toml").read_text()
        (work / "pyproject.toml").write_text(narrowed_pyproject(text, module, tests))
        start = time.monotonic()
        run = subprocess.run(
            [str(MUTMUT), "run", "--max-children", str(max_children)],
            cwd=work,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.monotonic() - start
        if run.returncode != 0:
            # mutmut stops before mutating when the clean run of the mapped tests fails.
            tail = "\n".join((run.stdout + run.stderr).replace("\r", "\n").splitlines()[-30:])
            raise RuntimeError(f"mutmut run failed ({run.returncode}) for {module}:\n{tail}")
        found = results(work)
        prefix = module.removeprefix("src/").removesuffix(".py").replace("/", ".") + "."
        mine = {name: status for name, status in found.items() if name.startswith(prefix)}
        survivors = sorted(name for name, status in mine.items() if status not in KILLED)
        diffs = {
            name: subprocess.run(
                [str(MUTMUT), "show", name], cwd=work, capture_output=True, text=True
            ).stdout
            for name in survivors
        }
    killed = sum(status in KILLED for status in mine.values())
    return {
        "module": module,
        "mutants": len(mine),
        "killed": killed,
        "score": killed / len(mine) if mine else 1.0,
        "seconds": round(seconds),
        "survivors": {name: mine[name] for name in survivors},
        "diffs": diffs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="module paths (default: all mapped)")
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mapping: dict[str, list[str]] = config["tool"]["partnercenter"]["mutation"]
    unknown = [m for m in args.modules if m not in mapping]
    if unknown:
        parser.error(f"not mapped in [tool.partnercenter.mutation]: {', '.join(unknown)}")
    reports = []
    failed = False
    for module in args.modules or list(mapping):
        print(f"== {module} ({', '.join(mapping[module])})", flush=True)
        try:
            report = run_module(module, mapping[module], args.max_children)
        except RuntimeError as error:
            print(f"   {error}", flush=True)
            failed = True
            continue
        reports.append(report)
        print(
            f"   {report['killed']}/{report['mutants']} killed "
            f"({report['score']:.1%}) in {report['seconds']} s",
            flush=True,
        )
        for name, diff in report["diffs"].items():  # type: ignore[attr-defined]
            print(f"   survived: {name} ({report['survivors'][name]})")  # type: ignore[index]
            for line in diff.splitlines():
                if line.startswith(("-", "+")) and not line.startswith(("---", "+++")):
                    print(f"      {line}")
    if args.json:
        args.json.write_text(json.dumps(reports, indent=2))
    print("\nmodule                                              killed   score")
    for report in reports:
        print(
            f"{report['module']:50} {report['killed']:>4}/{report['mutants']:<4} "
            f"{report['score']:6.1%}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

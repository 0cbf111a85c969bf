"""The README's "Sign in and exchange" section, run as written: the admin's shell lines through
the repository's CLI, then the agent's Python, against the session's broker."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from conftest import REPO_ROOT, Broker

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Sign in and exchange", 1)[1].split("\n## ", 1)[0]


def test_the_sign_in_and_exchange_section_runs_verbatim(broker: Broker, tmp_path: Path, capsys) -> None:
    shell = re.search(r"```sh\n(.*?)```", SECTION, re.S)
    python = re.search(r"```python\n(.*?)```", SECTION, re.S)
    assert shell and python

    # The CLI from source, as `pnpm lanyard` runs it, from any folder: tsx by its resolved URL.
    tsx = subprocess.run(["node", "-p", "require('node:url').pathToFileURL(require.resolve('tsx')).href"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout.strip()
    cli = f'lanyard() {{ node --conditions=lanyard-source --import "{tsx}" "{REPO_ROOT}/apps/cli/src/main.ts" "$@"; }}\n'
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LANYARD_")}, "LANYARD_URL": broker.url, "LANYARD_ADMIN_TOKEN": broker.admin_token}
    result = subprocess.run(["bash", "-c", "set -euo pipefail\n" + cli + shell.group(1)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr

    code = python.group(1).replace("http://127.0.0.1:7420", broker.url)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    # The refused exchange printed its codes.
    assert capsys.readouterr().out.startswith("invalid_scope ")

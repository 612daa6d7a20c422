#!/usr/bin/env bash
# Creates benches/.venv with the peer packages a user would otherwise pick (numpy/scipy, quimb,
# Brian2), from PyPI. Idempotent: re-running only installs what changed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/.venv/bin/python" ]; then
  python3 -m venv "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

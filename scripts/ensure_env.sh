#!/usr/bin/env bash
# Creates (or refreshes) .venv from the committed uv.lock. Idempotent and quick when up to date.
# On a fresh machine it first installs uv with pip: pip's own resolver backtracks for many minutes
# on the TFX tree, uv installs it from the lock in under a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

# Never download a Python: the .python-version file selects pyenv's 3.10.
export UV_PYTHON_DOWNLOADS=never

if uv --version >/dev/null 2>&1; then
  UV=(uv)
else
  if ! python3 -m uv --version >/dev/null 2>&1; then
    echo "ensure_env: installing uv with pip (first use on this machine)" >&2
    python3 -m pip install --quiet --disable-pip-version-check uv
  fi
  UV=(python3 -m uv)
fi

"${UV[@]}" sync --frozen --quiet

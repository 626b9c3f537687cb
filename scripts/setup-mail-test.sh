#!/usr/bin/env bash
# Prepares the Python side of the PaperboyMail tests: a virtual environment at <repo>/.venv
# (reused when it already exists) with aiosmtpd, the SMTP server the tests talk to on loopback.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo_root/.venv"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi

if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2'
fi

echo "aiosmtpd ready: $venv/bin/python"

#!/usr/bin/env bash
# Installs what the end-to-end tests need, and nothing when it is already there:
# a Python virtualenv with huggingface_hub, pytest, schemathesis, selenium, bibtexparser, rispy
# (the export tests) and aiosmtpd (.venv/),
# Debian's chromium and chromium-driver (the same version; selenium drives it), openssl (the mail
# tests make a self-signed certificate), nginx (the reverse-proxy and node tests), wrk (load while
# a node is killed) and postgresql-15 (the PostgreSQL store's tests).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import huggingface_hub, pytest, schemathesis, selenium, bibtexparser, rispy" 2>/dev/null; then
    echo "setup-test: creating .venv with huggingface_hub, pytest, schemathesis, selenium, bibtexparser and rispy"
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check "huggingface_hub>=0.30" "pytest>=8" "schemathesis>=4,<5" "selenium>=4.20,<5" \
        "bibtexparser>=2,<3" "rispy>=0.9,<1"
fi

# aiosmtpd: the real SMTP server the mail tests talk to on loopback.
scripts/setup-mail-test.sh >/dev/null

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium fonts-dejavu-core)
# chromedriver: the browser flows (tests/e2e/browser.py); Debian builds it with chromium, same version.
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
if [ ! -f /usr/include/zlib.h ]; then need_apt+=(zlib1g-dev); fi
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need_apt+=(nginx)
# wrk: load through the balancer while a node is killed (tests/e2e/test_nodes.py).
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
# PostgreSQL: the store contract suite starts a throwaway cluster of its own (PostgresCluster).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql-15)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup-test: installing ${need_apt[*]} with apt-get"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

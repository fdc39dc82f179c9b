#!/usr/bin/env bash
# Checks what Rental Flow needs and cannot install itself: Odoo 18.0 importable by
# python3 (from site-packages, a .pth file, or $ODOO_PATH) and a PostgreSQL server
# answering (honours PGHOST, PGPORT, PGUSER). Exits 1 with a clear message otherwise.
set -euo pipefail
# shellcheck source=setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

failures=0
fail() { printf '[rental-flow] MISSING: %s\n' "$*" >&2; failures=$((failures + 1)); }

# 1. Python and Odoo 18.0
if ! command -v "${PYTHON}" >/dev/null 2>&1; then
    fail "${PYTHON} not found on PATH (Python 3.10-3.12 is needed by Odoo 18.0)."
else
    odoo_probe='
import sys
try:
    import odoo.release
except Exception as exc:  # ImportError, or a broken Odoo install
    print(f"cannot import odoo: {exc!r}")
    sys.exit(2)
if odoo.release.serie != "18.0":
    print(f"found Odoo {odoo.release.version} at {odoo.__path__[0]}, but 18.0 is required")
    sys.exit(3)
print(f"Odoo {odoo.release.version} at {odoo.__path__[0]}")
'
    if odoo_msg="$("${PYTHON}" -c "${odoo_probe}" 2>&1)"; then
        say "OK: ${odoo_msg}"
    else
        fail "Odoo 18.0 is not usable by ${PYTHON}: ${odoo_msg}." \
            "Install Odoo 18.0 and its requirements.txt (see README.md, "Prerequisites"), or set" \
            "ODOO_PATH to the directory that holds the odoo package of an Odoo 18.0 checkout."
    fi
fi

# 2. PostgreSQL
pg_target="${PGHOST:-local socket}:${PGPORT:-5432} as ${PGUSER:-$(id -un)}"
if ! command -v pg_isready >/dev/null 2>&1; then
    fail "pg_isready not found: install the PostgreSQL client tools (Debian: postgresql-client)."
elif pg_msg="$(pg_isready -t 5 2>&1)"; then
    say "OK: PostgreSQL answers (${pg_msg})."
else
    fail "PostgreSQL does not answer at ${pg_target}: ${pg_msg}." \
        "Start the server or set PGHOST/PGPORT/PGUSER."
fi
for tool in createdb dropdb psql; do
    command -v "${tool}" >/dev/null 2>&1 \
        || fail "${tool} not found: install the PostgreSQL client tools (postgresql-client)."
done

if [[ ${failures} -gt 0 ]]; then
    printf '[rental-flow] ERROR: %d prerequisite(s) missing, see above.\n' "${failures}" >&2
    exit 1
fi
say "Prerequisites OK."

#!/usr/bin/env bash
# Runs the whole Rental Flow test suite: creates a fresh database (TEST_DB, default
# rental_flow_test), installs the three addons without demo data (failing if Odoo logs
# any ERROR or CRITICAL line), then runs pytest with pytest-odoo over the addons' tests
# and the top-level tests/. Extra arguments are passed to pytest; exit code = pytest's.
set -euo pipefail
# shellcheck source=setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB="${TEST_DB:-rental_flow_test}"
cd "${REPO_ROOT}"
write_odoo_conf
create_db_with_addons "${DB}" no-demo

say "Running pytest on database ${DB}..."
rc=0
"${PYTHON}" -m pytest -q -ra \
    --odoo-config="${ODOO_CONF}" --odoo-database="${DB}" --odoo-log-level=error --odoo-http \
    "$@" || rc=$?
exit "${rc}"

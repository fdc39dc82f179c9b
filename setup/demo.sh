#!/usr/bin/env bash
# Creates (or re-creates) the demo database DEMO_DB (default rental_flow_demo) with the
# three Rental Flow addons and their demo data, then serves it on
# http://127.0.0.1:8069 (login admin, password admin) until interrupted.
set -euo pipefail
# shellcheck source=setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DB="${DEMO_DB:-rental_flow_demo}"
cd "${REPO_ROOT}"
write_odoo_conf --db-name "${DB}"
create_db_with_addons "${DB}" demo

say "Setting the password of user admin to 'admin'..."
"${PYTHON}" -m odoo shell -c "${ODOO_CONF}" -d "${DB}" --no-http --log-level=warn \
    >"${BUILD_DIR}/${DB}-shell.log" 2>&1 <<'PYEOF' || {
admin = env.ref("base.user_admin")
admin.write({"login": "admin", "password": "admin", "active": True})
env.cr.commit()
credential = {"type": "password", "login": "admin", "password": "admin"}
uid = env.registry["res.users"].authenticate(env.cr.dbname, credential, {})["uid"]
assert uid == admin.id, uid
print("ADMIN-LOGIN-OK")
PYEOF
    cat "${BUILD_DIR}/${DB}-shell.log" >&2
    die "could not set the admin password (log: ${BUILD_DIR}/${DB}-shell.log)."
}
grep -q ADMIN-LOGIN-OK "${BUILD_DIR}/${DB}-shell.log" \
    || { cat "${BUILD_DIR}/${DB}-shell.log" >&2; die "admin login check failed."; }

cat >&2 <<MSG

  Rental Flow demo is starting on database ${DB}:
      URL:      http://127.0.0.1:8069
      login:    admin
      password: admin
  Stop it with Ctrl-C.

MSG
exec "${PYTHON}" -m odoo -c "${ODOO_CONF}" -d "${DB}" --db-filter="^${DB}\$" \
    --http-interface=127.0.0.1 --http-port=8069

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

# A French agency: the company is set in France (euro) before Accounting is installed,
# so that the French chart of accounts (PCG) is loaded, with French translations.
start=${SECONDS}
drop_db "${DB}"
say "Creating database ${DB} (base, French language)..."
odoo_install "${DB}" base --load-language=fr_FR
say "Setting up the agency (France, euro)..."
"${PYTHON}" -m odoo shell -c "${ODOO_CONF}" -d "${DB}" --no-http --log-level=warn \
    >"${BUILD_DIR}/${DB}-company.log" 2>&1 <<'PYEOF' || {
company = env.ref("base.main_company")
company.write({
    "name": "Agence Rental Flow",
    "street": "24 rue de la Roquette",
    "zip": "75011",
    "city": "Paris",
    "country_id": env.ref("base.fr").id,
    "currency_id": env.ref("base.EUR").id,
    "email": "gestion@agence-rental-flow.example",
    "phone": "+33 1 84 80 00 00",
})
env.ref("base.EUR").active = True
env.cr.commit()
print("COMPANY-OK")
PYEOF
    cat "${BUILD_DIR}/${DB}-company.log" >&2
    die "could not set up the demo company (log: ${BUILD_DIR}/${DB}-company.log)."
}
say "Installing the French accounting (chart of accounts, taxes)..."
odoo_install "${DB}" l10n_fr_account
say "Installing ${RENTAL_FLOW_ADDONS} with their demo data..."
odoo_install "${DB}" "${RENTAL_FLOW_ADDONS}"
say "Database ${DB} ready in $((SECONDS - start)) s."

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

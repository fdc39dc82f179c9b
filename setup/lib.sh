# shellcheck shell=bash
# Shared helpers for the setup/ scripts. Source it, do not run it.
#
# Sets REPO_ROOT, BUILD_DIR, ODOO_CONF and PYTHON, and puts $ODOO_PATH (when set)
# in front of PYTHONPATH so that `python3 -c "import odoo"` finds an Odoo source
# checkout that is not installed in site-packages.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${REPO_ROOT}/.build"
ODOO_CONF="${BUILD_DIR}/odoo.conf"
PYTHON="${PYTHON:-python3}"
export REPO_ROOT BUILD_DIR ODOO_CONF PYTHON

if [[ -n "${ODOO_PATH:-}" ]]; then
    export PYTHONPATH="${ODOO_PATH}${PYTHONPATH:+:${PYTHONPATH}}"
fi

# The three addons of the project, in dependency order.
RENTAL_FLOW_ADDONS="rental_flow,rental_flow_bank,rental_flow_dunning"
export RENTAL_FLOW_ADDONS

say() { printf '[rental-flow] %s\n' "$*" >&2; }
die() { printf '[rental-flow] ERROR: %s\n' "$*" >&2; exit 1; }

# Writes .build/odoo.conf from setup/odoo.conf.template (cheap, always refreshed so
# that a change of PGHOST/PGPORT/PGUSER or of the Odoo location is picked up).
write_odoo_conf() {
    "${PYTHON}" "${REPO_ROOT}/setup/odoo_conf.py" "$@" >/dev/null
}

# Drops database $1 (closing its connections) and its filestore, if they exist.
drop_db() {
    local db="$1"
    PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists --force "${db}"
    rm -rf "${BUILD_DIR}/data/filestore/${db}"
}

# Installs modules $2 (comma-separated) in database $1, which may not exist yet.
# Extra arguments are passed to Odoo (e.g. --without-demo=all, --load-language=fr_FR).
# The log goes to .build/<db>-install.log. Fails when Odoo exits non-zero or when it
# logged any ERROR or CRITICAL line, printing those lines.
odoo_install() {
    local db="$1" modules="$2"
    shift 2
    local log="${BUILD_DIR}/${db}-install.log"
    mkdir -p "${BUILD_DIR}"
    : >"${log}"  # odoo appends to its log file
    local rc=0
    "${PYTHON}" -m odoo -c "${ODOO_CONF}" -d "${db}" -i "${modules}" "$@" \
        --stop-after-init --no-http --log-level=warn --logfile="${log}" || rc=$?
    if [[ ${rc} -ne 0 ]] || grep -qE '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "${log}"; then
        grep -E -A 30 '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "${log}" | head -n 80 >&2 || true
        die "installing ${modules} in ${db} failed (odoo exit code ${rc}); full log: ${log}"
    fi
}

# Creates database $1 from scratch and installs the three addons in it.
# $2: "demo" to load demo data, anything else to install without demo data.
create_db_with_addons() {
    local db="$1" demo="$2"
    local demo_args=(--without-demo=all)
    [[ "${demo}" == "demo" ]] && demo_args=()
    drop_db "${db}"
    say "Creating database ${db} and installing ${RENTAL_FLOW_ADDONS}" \
        "($([[ "${demo}" == "demo" ]] && echo "with" || echo "without") demo data)..."
    local start=${SECONDS}
    odoo_install "${db}" "${RENTAL_FLOW_ADDONS}" "${demo_args[@]}"
    say "Database ${db} ready in $((SECONDS - start)) s (log: ${BUILD_DIR}/${db}-install.log)."
}

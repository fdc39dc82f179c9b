#!/usr/bin/env bash
# Installs what Rental Flow needs beside Odoo 18.0 and PostgreSQL (which must already be
# there: see setup/check_prereqs.sh): the Python packages of requirements*.txt and the
# Debian packages wkhtmltopdf (PDF reports) and chromium (browser tests). Idempotent:
# does nothing, quickly and without network, when everything is already installed.
set -euo pipefail
# shellcheck source=setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"${REPO_ROOT}/setup/check_prereqs.sh"

# 1. Python packages
cd "${REPO_ROOT}"
if missing="$("${PYTHON}" setup/requirements_met.py requirements.txt)"; then
    say "Python requirements already installed."
else
    say "Installing Python requirements (missing: $(echo "${missing}" | paste -sd ';' -))..."
    "${PYTHON}" -m pip install --quiet --disable-pip-version-check -r requirements.txt
fi
if missing="$("${PYTHON}" setup/requirements_met.py requirements-nodeps.txt)"; then
    say "No-deps Python requirements already installed."
else
    say "Installing no-deps Python requirements (missing: $(echo "${missing}" | paste -sd ';' -))..."
    "${PYTHON}" -m pip install --quiet --disable-pip-version-check --no-deps \
        -r requirements-nodeps.txt
fi
"${PYTHON}" setup/requirements_met.py requirements.txt requirements-nodeps.txt \
    || die "Python requirements still unmet after pip install (see above)."

# 2. Debian packages, only for the binaries that are missing
apt_packages=()
command -v wkhtmltopdf >/dev/null 2>&1 || apt_packages+=(wkhtmltopdf)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || apt_packages+=(chromium)
if [[ ${#apt_packages[@]} -eq 0 ]]; then
    say "wkhtmltopdf and chromium already installed."
else
    command -v apt-get >/dev/null 2>&1 \
        || die "apt-get not found: install ${apt_packages[*]} with your package manager."
    sudo=()
    [[ $(id -u) -ne 0 ]] && sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    say "Installing Debian packages: ${apt_packages[*]}..."
    mkdir -p "${BUILD_DIR}"
    apt_log="${BUILD_DIR}/apt.log"
    run_apt() { "${sudo[@]}" apt-get "$@" >>"${apt_log}" 2>&1; }
    # Refresh the package lists only when they are absent, or when the install fails
    # because they are stale.
    if ! compgen -G "/var/lib/apt/lists/*Packages*" >/dev/null; then
        run_apt update -qq || { tail -n 20 "${apt_log}" >&2; die "apt-get update failed."; }
    fi
    if ! run_apt install -y -qq --no-install-recommends "${apt_packages[@]}"; then
        say "apt-get install failed; refreshing the package lists and retrying."
        if ! { run_apt update -qq \
            && run_apt install -y -qq --no-install-recommends "${apt_packages[@]}"; }; then
            tail -n 20 "${apt_log}" >&2
            die "apt-get install ${apt_packages[*]} failed (log: ${apt_log})."
        fi
    fi
    say "Installed ${apt_packages[*]} (log: ${apt_log})."
fi
command -v wkhtmltopdf >/dev/null 2>&1 || die "wkhtmltopdf still missing after apt-get."

write_odoo_conf
say "Install OK (Odoo configuration: ${ODOO_CONF})."

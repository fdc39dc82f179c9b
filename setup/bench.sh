#!/usr/bin/env bash
# Runs every bench/bench_*.py with python3. Each prints one JSON line per figure, e.g.
#   {"metric": "camt_parse_50k_s", "value": 3.2, "unit": "s", "target": 60, "ok": true}
# A bench that needs a database says so with a line `# bench: needs-database`: then the
# database BENCH_DB (default rental_flow_bench) is created fresh with the three addons
# (no demo data) and passed in the environment as BENCH_DB, with ODOO_RC pointing to the
# Odoo configuration. Fails if a bench crashes or prints a line that is not JSON.
# All figures are also written to .build/bench-results.jsonl.
set -euo pipefail
# shellcheck source=setup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "${REPO_ROOT}"
shopt -s nullglob
benches=(bench/bench_*.py)
if [[ ${#benches[@]} -eq 0 ]]; then
    say "No benchmark found (bench/bench_*.py)."
    exit 0
fi

write_odoo_conf
if grep -lqx '# bench: needs-database' "${benches[@]}"; then
    export BENCH_DB="${BENCH_DB:-rental_flow_bench}"
    create_db_with_addons "${BENCH_DB}" no-demo
fi
export ODOO_RC="${ODOO_CONF}" RENTAL_FLOW_ROOT="${REPO_ROOT}"

results="${BUILD_DIR}/bench-results.jsonl"
: >"${results}"
failed=()
for bench in "${benches[@]}"; do
    say "Running ${bench}..."
    out="$(mktemp)"
    start=${SECONDS}
    if ! "${PYTHON}" "${bench}" >"${out}"; then
        failed+=("${bench} (crashed)")
    elif ! "${PYTHON}" -c '
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        record = json.loads(line)
        assert isinstance(record, dict) and "metric" in record and "value" in record, line
' "${out}"; then
        failed+=("${bench} (printed a line that is not a JSON figure)")
    fi
    cat "${out}"
    cat "${out}" >>"${results}"
    rm -f "${out}"
    say "${bench} took $((SECONDS - start)) s."
done

missed="$(grep -c '"ok": *false' "${results}" || true)"
say "$(grep -c . "${results}" || true) figure(s) in ${results}; ${missed} missed their target."
if [[ ${#failed[@]} -gt 0 ]]; then
    printf '[rental-flow] FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi

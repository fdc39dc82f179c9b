"""Helpers shared by the benchmarks of bench/ (run by `make bench`, see bench/README.md).

A benchmark is a standalone script ``bench/bench_<name>.py`` printing one JSON line per
figure with :func:`emit`. Engine benchmarks call :func:`use_repo_addons` and import
``odoo.addons.<addon>.engines...``; benchmarks that need a database carry the line
``# bench: needs-database`` and use :func:`odoo_env`.
"""

import contextlib
import json
import os
import shutil
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def use_repo_addons():
    """Make ``odoo.addons.<rental_flow addon>`` importable without a configured Odoo.

    Adds the repository and Odoo's own ``addons`` folder (found from ``odoo.__file__``,
    beside the ``odoo`` package of a source checkout) to ``odoo.addons.__path__``: the
    addons' packages import their dependencies (``account``, ``portal``...) on import.
    """
    import odoo
    import odoo.addons

    odoo_addons = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "addons")
    for path in (REPO_ROOT, odoo_addons):
        if os.path.isdir(path) and path not in odoo.addons.__path__:
            odoo.addons.__path__.append(path)


def emit(metric, value, unit, target=None, higher_is_better=False, **extra):
    """Print one figure as a JSON line; ``ok`` compares ``value`` with ``target``."""
    record = {"metric": metric, "value": value, "unit": unit}
    if target is not None:
        record["target"] = target
        record["ok"] = value >= target if higher_is_better else value <= target
    record.update(extra)
    print(json.dumps(record), flush=True)
    return record


@contextlib.contextmanager
def timer():
    """Context manager yielding a dict whose ``seconds`` is set on exit."""
    result = {"seconds": None}
    start = time.perf_counter()
    try:
        yield result
    finally:
        result["seconds"] = time.perf_counter() - start


@contextlib.contextmanager
def scratch_database(suffix):
    """A copy of ``$BENCH_DB`` named ``$BENCH_DB_<suffix>``, dropped on exit.

    For a benchmark that commits its data set, as production data is, without leaving it
    to the other benchmarks: ``$BENCH_DB`` names the copy inside the ``with`` block (use
    :func:`odoo_env` there). The copy is a PostgreSQL ``CREATE DATABASE ... TEMPLATE``;
    its file store is removed with it.
    """
    source = os.environ.get("BENCH_DB")
    if not source or not os.environ.get("ODOO_RC"):
        sys.exit("BENCH_DB and ODOO_RC must be set: run this benchmark with `make bench`")
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import SQL

    odoo.tools.config.parse_config(["--log-level=warn", f"--database={source}"])
    name = f"{source}_{suffix}"

    def admin(*queries):
        with contextlib.closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
            cr._cnx.autocommit = True  # CREATE/DROP DATABASE: outside a transaction
            for query in queries:
                cr.execute(query)

    def drop():
        Registry.delete(name)
        odoo.sql_db.close_db(name)
        admin(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(name)))
        shutil.rmtree(odoo.tools.config.filestore(name), ignore_errors=True)

    drop()
    odoo.sql_db.close_db(source)
    admin(SQL("CREATE DATABASE %s TEMPLATE %s", SQL.identifier(name), SQL.identifier(source)))
    os.environ["BENCH_DB"] = name
    try:
        yield name
    finally:
        os.environ["BENCH_DB"] = source
        drop()


def vacuum_analyze(dbname):
    """``VACUUM ANALYZE`` the database, as autovacuum does to committed data (hint bits,
    visibility map, planner statistics); needs its own connection (not in a transaction).
    """
    import odoo

    with contextlib.closing(odoo.sql_db.db_connect(dbname).cursor()) as cr:
        cr._cnx.autocommit = True
        cr.execute("VACUUM ANALYZE")


@contextlib.contextmanager
def odoo_env(commit=False):
    """Yield a superuser ``odoo.api.Environment`` on the database ``$BENCH_DB``.

    The Odoo configuration is read from ``$ODOO_RC`` (both are set by ``make bench``).
    The transaction is rolled back on exit unless ``commit`` is true.
    """
    db_name = os.environ.get("BENCH_DB")
    if not db_name or not os.environ.get("ODOO_RC"):
        sys.exit("BENCH_DB and ODOO_RC must be set: run this benchmark with `make bench`")
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["--log-level=warn", f"--database={db_name}"])
    registry = Registry(db_name)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        try:
            yield env
        finally:
            if commit:
                cr.commit()
            else:
                cr.rollback()

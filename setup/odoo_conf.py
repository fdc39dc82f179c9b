#!/usr/bin/env python3
"""Write ``.build/odoo.conf`` from ``setup/odoo.conf.template``.

The addons path is computed from the Odoo package that ``python3`` imports (so no
install location is hard-coded): Odoo's own ``odoo/addons``, the ``addons`` directory
beside the ``odoo`` package when it exists (source checkouts), and the repository root
(the Rental Flow addons). Database settings come from the usual libpq variables
``PGHOST``, ``PGPORT``, ``PGUSER`` and ``PGPASSWORD`` (default: local socket, current
user). The database name is ``--db-name``, else ``$DEMO_DB``, else ``rental_flow_demo``.
"""

import argparse
import getpass
import os
import string
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATE = os.path.join(REPO_ROOT, "setup", "odoo.conf.template")
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, ".build", "odoo.conf")
DEFAULT_DB = "rental_flow_demo"


def odoo_addons_paths():
    """Return the addons directories of the importable Odoo, core first."""
    try:
        import odoo
    except ImportError as exc:
        sys.exit(f"odoo_conf.py: cannot import odoo ({exc}); run setup/check_prereqs.sh")
    package_dir = os.path.dirname(os.path.abspath(odoo.__file__))
    paths = [os.path.join(package_dir, "addons")]
    sibling = os.path.join(os.path.dirname(package_dir), "addons")
    if os.path.isdir(sibling):
        paths.append(sibling)
    return paths


def template_values(db_name, build_dir):
    """Return the placeholder values of the template (all strings)."""
    addons_path = [*odoo_addons_paths(), REPO_ROOT]
    return {
        "addons_path": ",".join(addons_path),
        "data_dir": os.path.join(build_dir, "data"),
        "db_host": os.environ.get("PGHOST") or "False",
        "db_port": os.environ.get("PGPORT") or "False",
        "db_user": os.environ.get("PGUSER") or getpass.getuser(),
        "db_password": os.environ.get("PGPASSWORD") or "False",
        "db_name": db_name,
    }


def render(db_name, build_dir):
    """Return the configuration text for ``db_name``."""
    with open(TEMPLATE, encoding="utf-8") as handle:
        template = string.Template(handle.read())
    return template.substitute(template_values(db_name, build_dir))


def main(argv=None):
    """Command-line entry point: write the file and print its path."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-name", default=os.environ.get("DEMO_DB") or DEFAULT_DB)
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    output = os.path.abspath(args.output)
    build_dir = os.path.dirname(output)
    os.makedirs(os.path.join(build_dir, "data"), exist_ok=True)
    text = render(args.db_name, build_dir)
    tmp = f"{output}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, output)
    print(output)


if __name__ == "__main__":
    main()

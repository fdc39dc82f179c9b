# Rental Flow: install, demo, test, bench. See README.md.
#   make install   Python and Debian packages (checks Odoo 18.0 and PostgreSQL first)
#   make demo      fresh demo database, served on http://127.0.0.1:8069 (admin / admin)
#   make test      fresh test database + the whole pytest suite (PYTEST_ARGS="-k foo")
#   make bench     every bench/bench_*.py (JSON lines)
#   make lint      ruff check, when ruff is installed
#   make clean     remove .build/ and Python caches (databases are left alone)

SHELL := /bin/bash
PYTEST_ARGS ?=

.PHONY: install demo test bench lint clean

install:
	setup/install.sh

demo: install
	setup/demo.sh

test: install
	setup/test.sh $(PYTEST_ARGS)

bench: install
	setup/bench.sh

lint:
	@if command -v ruff >/dev/null 2>&1; then \
		ruff check . ; \
	elif python3 -m ruff --version >/dev/null 2>&1; then \
		python3 -m ruff check . ; \
	else \
		echo "ruff is not installed (pip install ruff): lint skipped"; \
	fi

clean:
	rm -rf .build .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Zhenxing — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ZX_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test test-sqlite test-postgres lint system-test-deps lock bench-deps clean

# --- set-up --------------------------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements/base.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/base.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements/test.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# --- the demo ------------------------------------------------------------------------------------
demo: $(VENV)/.installed node_modules/.installed
	ZX_ENV=demo $(BIN)/zhenxing demo
	ZX_ENV=demo $(BIN)/zhenxing serve --host $(HOST) --port $(PORT)

# --- the tests -----------------------------------------------------------------------------------
# Browser tests need Chromium and CJK fonts, the statutory-export tests LibreOffice (a real spreadsheet
# program reads each export back), all from Debian's packages; installed when missing and root.
system-test-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/soffice ] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "安装 Chromium、LibreOffice 与中文字体（Debian 软件包）…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk libreoffice-calc-nogui >/dev/null; \
	  else echo "提示：缺少 /usr/bin/chromium、/usr/bin/soffice 或中文字体，相关测试将跳过（以 root 运行 make test 可自动安装）"; fi; \
	fi

test: $(VENV)/.installed-test node_modules/.installed system-test-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	ZX_ENV=test $(BIN)/zhenxing makemigrations --check --dry-run

test-sqlite:
	@echo "== 测试：SQLite =="
	$(BIN)/pytest -q -n auto --dist loadgroup

test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(ZX_TEST_POSTGRES)', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== 测试：PostgreSQL ($(ZX_TEST_POSTGRES)) =="; \
	  ZX_DATABASE_URL=$(ZX_TEST_POSTGRES) $(BIN)/pytest -q -n auto --dist loadgroup; \
	else echo "PostgreSQL 不可达（$(ZX_TEST_POSTGRES)），跳过 PostgreSQL 测试"; fi

# --- benchmarks (run by hand; see bench/README.md) -------------------------------------------------
bench-deps: $(VENV)/.installed-test
	$(BIN)/pip install --quiet --require-hashes -r requirements/bench.txt

# --- maintenance ---------------------------------------------------------------------------------
lock:
	$(PYTHON) -m venv /tmp/zx-piptools && /tmp/zx-piptools/bin/pip install --quiet pip-tools
	cd requirements && /tmp/zx-piptools/bin/pip-compile -q --strip-extras --generate-hashes base.in -o base.txt
	cd requirements && /tmp/zx-piptools/bin/pip-compile -q --strip-extras --generate-hashes --allow-unsafe test.in -o test.txt
	cd requirements && /tmp/zx-piptools/bin/pip-compile -q --strip-extras --generate-hashes --allow-unsafe bench.in -o bench.txt

clean:
	rm -rf $(VENV) node_modules

# Two commands on a fresh machine:  `make serve` (build and preview the bundled site)
# and `make test` (the whole test suite, browser tests included).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: serve build check test test-fast browser-deps bench lint clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(PY) build.py serve

build: $(STAMP)
	$(PY) build.py build

check: $(STAMP)
	$(PY) build.py check

# Chromium, CJK fonts and (where the machine lacks one) Java come from Debian (root on the CI
# machine, sudo elsewhere).
browser-deps:
	@command -v chromium >/dev/null 2>&1 && command -v java >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk \
	    $$(command -v java >/dev/null 2>&1 || echo default-jre-headless) >/dev/null; }
	@# From npm: axe-core (accessibility rules injected into pages by the browser tests) and the
	@# Nu Html Checker (run with Java on every page in tests/test_valid_html.py), in one install:
	@# a second `npm install --no-save` would prune the first.
	@[ -f node_modules/axe-core/axe.min.js ] && [ -f node_modules/vnu-jar/build/dist/vnu.jar ] || \
	  npm install --no-save --no-audit --no-fund --silent axe-core@4 vnu-jar@26

test: $(STAMP) browser-deps
	$(PY) -m pytest -n auto -q

test-fast: $(STAMP)
	BITEXT_SKIP_BROWSER=1 $(PY) -m pytest -n auto -q

# Extra options go through BENCH_ARGS, e.g.  make bench BENCH_ARGS="--n 1000 5000 --runs 5"
bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	@# Eleventy, one of the peers, from npm into bench/node_modules; without npm it is skipped.
	npm install --prefix bench --no-save --no-audit --no-fund --silent @11ty/eleventy@3 || true
	$(PY) bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check bitext tests bench build.py

clean:
	rm -rf $(VENV) site .cache .pytest_cache

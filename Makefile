# Two commands for a fresh machine: `make book` (student notebooks + HTML book) and `make test` (every test).
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# nbgrader shells out to alembic, and jupyter-book to jupyter: the venv's bin/ must come first on PATH.
export PATH := $(abspath $(VENV))/bin:$(PATH)
# Figures render without a display.
export MPLBACKEND := Agg

.PHONY: book release publish test bench clean system-packages

# The venv's bytecode is compiled on every core (pip compiles one file at a time: 77 s -> 64 s for the install). It
# must be there: the grading sandbox runs Python with -B from the read-only venv. Like pip, compileall passes over a
# file that does not compile (torch ships one in Python 3.12's syntax), but says so in its status: hence `|| true`.
$(STAMP): requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --no-compile -r requirements.txt
	$(PYTHON) -m compileall -qq -j 0 $(VENV)/lib || true
	$(PYTHON) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

release: $(STAMP)
	$(PYTHON) -m autograder release

# The execution cache tracks only each page's own code: rebuild every page when the helpers they import change, or
# how the pages are executed (the kernels' threads, which change what training computes).
# The pages whose code changed are executed side by side first (scripts/execute_book.py); the build reads the cache.
BOOK_KEY := cnntools/*.py cnntools/figures/*.py cnntools/*.js cnntools/*.css cnntools/weights/* scripts/execute_book.py
book: release
	@$(PYTHON) -m autograder settings
	@mkdir -p _build; key=$$(cat $(BOOK_KEY) 2>/dev/null | sha256sum); \
	if [ "$$key" != "$$(cat _build/.cnntools-key 2>/dev/null)" ]; then \
	  rm -rf _build/.jupyter_cache _build/.doctrees; echo "$$key" > _build/.cnntools-key; fi
	$(PYTHON) scripts/execute_book.py
	jupyter-book build . -W -n --keep-going

# The public student repository (site, notebooks, cnntools): only once course.yml holds no placeholder.
PUBLIC ?= _build/public
publish: $(STAMP)
	$(PYTHON) -m autograder settings --strict
	$(MAKE) book
	$(PYTHON) -m autograder publish $(PUBLIC)

# Grading sandboxes student code with bubblewrap; the browser tests drive Debian's chromium.
system-packages:
	@missing=""; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing; \
	  else echo "make test needs:$$missing (install with: sudo apt-get install$$missing)"; exit 1; fi; \
	fi

# Two pytest workers, each test file whole in one (its module fixtures, often one grading run, are shared): on 2
# cores the suite takes 4.5 min instead of 6.5, since much of it waits on browsers, servers and subprocesses.
test: system-packages book
	$(PYTHON) -m pytest -n 2 --dist loadfile

bench: $(STAMP)
	for b in bench/*.py; do $(PYTHON) $$b || exit 1; done

clean:
	rm -rf _build _grading

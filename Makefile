# The two commands of the README: `make demo` and `make test`. Both create .venv and install
# everything on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint wheelhouse bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[build,dev]'
	@# optional: GStreamer sources through PyGObject, which builds only where the system has GStreamer's
	@# development packages (.ci/run installs them); elsewhere the GStreamer test skips and says why
	$(PY) -m pip install --quiet -e '.[gstreamer]' || echo "warning: the 'gstreamer' extra (PyGObject) did not build; GStreamer sources need the system packages in docs/sources.md"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cleftedge demo --out demo-out

# the docstring gate sits a few points below what the package reaches (99.8 %), to catch regressions only
DOC_MIN := 97

test: $(STAMP)
	$(VENV)/bin/ruff check cleftedge tests benchmarks scripts
	$(PY) -m mypy
	$(PY) scripts/docstring_coverage.py --min $(DOC_MIN) > /dev/null
	$(PY) -m pytest -q

# ruff, mypy on what [tool.mypy] in pyproject.toml names (the runtime and the QA gate, strict), the docstring gate
lint: $(STAMP)
	$(VENV)/bin/ruff check cleftedge tests benchmarks scripts
	$(PY) -m mypy
	$(PY) scripts/docstring_coverage.py --min $(DOC_MIN) > /dev/null

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# Wheels for an offline cart install, pinned: wheelhouse/requirements.txt (a --hash line per wheel) and
# wheelhouse/sbom.cdx.json (CycloneDX). On the cart:
#   pip install --no-index --find-links wheelhouse --require-hashes -r wheelhouse/requirements.txt
wheelhouse: $(STAMP)
	rm -rf wheelhouse
	$(PY) -m pip wheel --quiet --wheel-dir wheelhouse '.[openvino,onnxruntime]'
	$(PY) -m cleftedge.tools.wheelhouse wheelhouse

clean:
	rm -rf $(VENV) demo-out wheelhouse build *.egg-info

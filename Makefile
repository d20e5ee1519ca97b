# calfin_qgis: every target installs what it needs first (idempotent, fast on a second run).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SITE = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
QGIS_ENV = QT_QPA_PLATFORM=offscreen QGIS_PLUGINPATH=$(CURDIR) PYTHONPATH=$(CURDIR):$(SITE)
QGIS_PROCESS_CONFIG = QGIS_CUSTOM_CONFIG_PATH=$(CURDIR)/.qgis-settings/qgis_process
VERSION := $(shell sed -n 's/^version=//p' metadata.txt)
DATA ?=
OUT ?=
FLOW ?=
TURN ?=
MATCH ?=
THRESHOLD ?=
LOW_THRESHOLD ?=
SCALE ?=
KEEP_RESOLUTION ?=
NO_FLIP ?=
ARGS ?= list
TRAIN_MINUTES ?= 7.5
TRAIN_DATA ?= ../shared/data/frontlearning/train
CKPT := model/checkpoints/gpu

.PHONY: setup demo test lint package install qgis_process train evaluate bench

setup:
	@sh scripts/setup.sh

demo: setup
	@$(QGIS_ENV) $(PY) scripts/demo.py

test: setup
	@$(PY) -m ruff check calfin_qgis tests scripts model
	@QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint: setup
	@$(PY) -m ruff check calfin_qgis tests scripts model
	@$(PY) -m ruff format --check calfin_qgis tests scripts model

package: setup
	@$(PY) scripts/package.py dist/calfin_qgis-$(VERSION).zip

install: setup
	@$(PY) scripts/install.py

# Its own QGIS settings folder: the plugin is enabled there, the user's profiles stay untouched.
qgis_process: setup
	@$(QGIS_ENV) $(QGIS_PROCESS_CONFIG) /usr/bin/qgis_process.bin plugins enable calfin_qgis >/dev/null 2>&1 || true
	@$(QGIS_ENV) $(QGIS_PROCESS_CONFIG) /usr/bin/qgis_process.bin $(ARGS)

train: setup
	@$(PY) -m pip install -q --disable-pip-version-check -r model/requirements-train.txt
	@mkdir -p $(CKPT) && PYTHON=$(PY) model/train_gpu.sh $(TRAIN_DATA) $(CKPT) $(TRAIN_MINUTES)
	@$(PY) model/export.py --version 1.1.0 --out model/calfin_unet.onnx --checkpoint '$(CKPT)/all_s0.pt#0.5' '$(CKPT)/all_s1.pt#0.5'
	@$(PY) model/export.py --version 1.1.0 --out model/validation/calfin_unet_val_jakobshavn.onnx --checkpoint '$(CKPT)/val_s0.pt#0.5' '$(CKPT)/val_s1.pt#0.5'

evaluate: setup
	@test -n "$(DATA)" -a -n "$(OUT)" || { echo "usage: make evaluate DATA=<dir> OUT=<dir> [FLOW=up|down|left|right] [TURN=k] [MATCH=regex] [THRESHOLD=t] [LOW_THRESHOLD=t] [SCALE=f] [KEEP_RESOLUTION=1] [NO_FLIP=1]"; exit 2; }
	@$(PY) scripts/evaluate.py "$(DATA)" "$(OUT)" $(if $(FLOW),--flow $(FLOW)) $(if $(TURN),--turn $(TURN)) $(if $(MATCH),--match '$(MATCH)') $(if $(THRESHOLD),--threshold $(THRESHOLD)) $(if $(LOW_THRESHOLD),--low-threshold $(LOW_THRESHOLD)) $(if $(SCALE),--scale $(SCALE)) $(if $(KEEP_RESOLUTION),--keep-resolution) $(if $(NO_FLIP),--no-flip)

bench: setup
	@$(PY) scripts/bench.py

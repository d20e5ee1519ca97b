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
TRAIN_DATA ?= ../shared/data/frontlearning/train
CKPT := model/checkpoints/gpu
RECIPES ?= v1.1.0 single upright
FOLDS ?=
TRAIN_ARGS ?=
PARALLEL ?= 1
FOLDS_OUT ?= model/checkpoints/folds

.PHONY: setup demo calfin_reference test lint package install qgis_process train_requirements train folds evaluate bench

setup:
	@sh scripts/setup.sh

demo: setup
	@$(QGIS_ENV) $(PY) scripts/demo.py

calfin_reference: setup
	@$(QGIS_ENV) $(PY) scripts/calfin_reference.py

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

train_requirements: setup
	@$(PY) -m pip install -q --disable-pip-version-check -r model/requirements-train.txt

# 1.1.0's networks again (its recipe on the three folds and on all glaciers; a GPU), exported
# as the shipped model and its Jakobshavn validation twin.
train: train_requirements
	@PYTHON=$(PY) model/train_gpu.sh $(TRAIN_DATA) $(CKPT) v1.1.0
	@$(PY) model/export.py --version 1.1.0 --out model/calfin_unet.onnx --checkpoint '$(CKPT)/networks/base/all_s0.pt#0.5' '$(CKPT)/networks/base/all_s1.pt#0.5'
	@$(PY) model/export.py --version 1.1.0 --out model/validation/calfin_unet_val_jakobshavn.onnx --checkpoint '$(CKPT)/networks/base/jakobshavn_s0.pt#0.5' '$(CKPT)/networks/base/jakobshavn_s1.pt#0.5'

# The leave-one-glacier-out protocol (model/folds.py): RECIPES, the first the baseline.
folds: train_requirements
	@$(PY) model/folds.py sweep $(RECIPES) --data $(TRAIN_DATA) --out $(FOLDS_OUT) --parallel $(PARALLEL) $(if $(FOLDS),--folds $(FOLDS)) $(if $(TRAIN_ARGS),--train-args='$(TRAIN_ARGS)')

evaluate: setup
	@test -n "$(DATA)" -a -n "$(OUT)" || { echo "usage: make evaluate DATA=<dir> OUT=<dir> [FLOW=up|down|left|right] [TURN=k] [MATCH=regex] [THRESHOLD=t] [LOW_THRESHOLD=t] [SCALE=f] [KEEP_RESOLUTION=1] [NO_FLIP=1]"; exit 2; }
	@$(PY) scripts/evaluate.py "$(DATA)" "$(OUT)" $(if $(FLOW),--flow $(FLOW)) $(if $(TURN),--turn $(TURN)) $(if $(MATCH),--match '$(MATCH)') $(if $(THRESHOLD),--threshold $(THRESHOLD)) $(if $(LOW_THRESHOLD),--low-threshold $(LOW_THRESHOLD)) $(if $(SCALE),--scale $(SCALE)) $(if $(KEEP_RESOLUTION),--keep-resolution) $(if $(NO_FLIP),--no-flip)

bench: setup
	@$(PY) scripts/bench.py

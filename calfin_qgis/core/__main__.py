import sys

from .cli.commands import main

sys.exit(main(prog="python -m calfin_qgis.core"))

"""`make demo`: detect the front on the shipped sample scene with calfin:detect_fronts in
headless QGIS, then evaluate it against the scene's manual front (HTML report)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
OUT = ROOT / "demo_output"
SCENE = DATA / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Subset.tif"
REFERENCE = DATA / "LE07_L1TP_009011_20010707_20170204_01_T1_B2_Front.gpkg"


def main() -> int:
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append(str(Path(QgsApplication.pkgDataPath()) / "python" / "plugins"))
    import processing
    from processing.core.Processing import Processing

    Processing.initialize()
    import calfin_qgis

    plugin = calfin_qgis.classFactory(None)
    plugin.initProcessing()
    OUT.mkdir(exist_ok=True)
    fronts = OUT / "fronts.gpkg"
    detected = processing.run(
        "calfin:detect_fronts",
        {
            "INPUT": str(SCENE),
            "GLACIER_ID": "jakobshavn_isbrae",
            "OUTPUT": str(fronts),
            "PROBABILITIES": str(OUT / "probabilities.tif"),
        },
    )
    report = processing.run(
        "calfin:evaluate_fronts",
        {
            "INPUT": detected["OUTPUT"],
            "REFERENCE": str(REFERENCE),
            "PIXEL_SIZE": 40.0,
            "OUTPUT": str(OUT / "metrics.csv"),
            "REPORT": str(OUT / "report.html"),
        },
    )
    print(f"Fronts layer:        {detected['OUTPUT']}")
    print(f"Probability raster:  {detected['PROBABILITIES']}")
    print(f"Evaluation report:   {report['REPORT']}")
    print(
        f"Error against the manual front: mean {report['MEAN_PX']:.2f} px, "
        f"median {report['MEDIAN_PX']:.2f} px (40 m pixels). This scene was among the shipped "
        "model's training scenes; held-out figures are in model/MODEL_CARD.md."
    )
    plugin.unload()
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())

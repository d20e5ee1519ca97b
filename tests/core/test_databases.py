"""CALFIN, TermPicks and AutoTerm fronts in and out (``core.databases``): layouts recognised
by their fields, dates, flags and glacier ids, and round trips through every export format."""

from __future__ import annotations

import datetime

import pytest
import shapely
from osgeo import ogr
from shapely.geometry import LineString, Polygon

from calfin_qgis.core.databases import dates, flags
from calfin_qgis.core.databases.glaciers import GlacierMap, name_key, read_glacier_map
from calfin_qgis.core.databases.read import read_fronts_any
from calfin_qgis.core.databases.schemas import (
    AUTOTERM_FIELDS,
    CALFIN_FIELDS,
    CQ_FIELDS,
    TERMPICKS_FIELDS,
)
from calfin_qgis.core.databases.write import export_fronts
from calfin_qgis.core.errors import InputError
from calfin_qgis.core.geo.reproject import transformation, transformed
from calfin_qgis.core.schema import FRONT_FIELDS
from tests.database_layers import (
    MAP_FIELDS,
    UTM,
    calfin_row,
    glacier_map,
    our_fronts,
    srs,
    write_layer,
)

D = datetime.date


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [("calfin", ".shp"), ("termpicks", ".shp"), ("autoterm", ".gpkg"), ("geojson", ".geojson")],
)
def test_round_trip(tmp_path, fmt, suffix):
    source = read_fronts_any(our_fronts(tmp_path / "ours.gpkg"))
    out = tmp_path / f"export{suffix}"
    exported = export_fronts(source, fmt, out, GlacierMap({3: "jakobshavn_isbrae"}))
    assert exported.count == 3  # the rejected front is not exported
    back = read_fronts_any(out)
    to_utm = transformation(back.crs_wkt, srs(UTM).ExportToWkt())
    assert to_utm is not None  # written in EPSG:3413 (Greenland formats) or WGS 84 (GeoJSON)
    for before, after in zip(source.records[:3], back.records, strict=True):
        line = shapely.from_wkb(transformed(after["geometry"].wkb, to_utm))
        assert line.hausdorff_distance(before["geometry"]) < 1.0
        for key in ("date", "qual_flag", "glacier_id", "image_id"):
            assert after[key] == before[key], key
    assert [r["uncertainty_m"] for r in back.records][::2] == (
        [25.0, 60.0] if fmt in ("autoterm", "geojson") else [None, None]
    )


def exported_layer(path):
    """(EPSG code, (name, kind) of each field, each feature's attributes) of a written file."""
    ds = ogr.Open(str(path))
    layer = ds.GetLayer(0)
    defn = layer.GetLayerDefn()
    fields = [defn.GetFieldDefn(i) for i in range(defn.GetFieldCount())]
    kinds = {ogr.OFTInteger: "int", ogr.OFTReal: "float", ogr.OFTString: "str"}
    layout = tuple((f.GetName(), kinds[f.GetType()]) for f in fields)
    rows = [{f.GetName(): feature[f.GetName()] for f in fields} for feature in layer]
    code = layer.GetSpatialRef().GetAuthorityCode(None)
    return code, layout, rows


def test_calfin_export_layout(tmp_path):
    source = read_fronts_any(our_fronts(tmp_path / "ours.gpkg"))
    export_fronts(source, "calfin", tmp_path / "c.shp", GlacierMap({3: "jakobshavn_isbrae"}))
    code, layout, features = exported_layer(tmp_path / "c.shp")
    assert layout == (*CALFIN_FIELDS, *CQ_FIELDS)
    assert code == "3413"
    # ours 0 → 0; ours 3 (edited) on SLC-off Landsat 7 → CALFIN 3; ours 13 → automatic 10
    assert [f["QualFlag"] for f in features] == [0, 3, 10]
    assert [f["cq_flag"] for f in features] == [0, 3, 13]
    assert [f["Author"] for f in features] == ["A. Labeller", "B. Reviewer", None]
    assert features[0]["GlacierID"] == 3 and features[0]["Date"] == "2015-08-01"
    xy = shapely.get_coordinates(read_fronts_any(tmp_path / "c.shp").records[0]["geometry"])
    assert features[0]["Center_X"] == pytest.approx(xy[:, 0].mean())
    assert 60 < features[0]["Latitude"] < 80 and -60 < features[0]["Longitude"] < -40


def test_termpicks_and_autoterm_export_layout(tmp_path):
    source = read_fronts_any(our_fronts(tmp_path / "ours.gpkg"))
    export_fronts(source, "termpicks", tmp_path / "t.shp", GlacierMap({3: "jakobshavn_isbrae"}))
    code, layout, rows = exported_layer(tmp_path / "t.shp")
    assert layout == (*TERMPICKS_FIELDS, *CQ_FIELDS)
    first = rows[0]
    assert (first["Year"], first["Month"], first["Day"]) == (2015, 8, 1)
    assert first["DecDate"] == pytest.approx(2015 + 212 / 365)
    result = export_fronts(source, "autoterm", tmp_path / "a.gpkg")
    code, layout, rows = exported_layer(tmp_path / "a.gpkg")
    assert layout == (*AUTOTERM_FIELDS, *CQ_FIELDS) and code == "3413"
    assert [f["Error"] for f in rows] == [25.0, None, 60.0]
    assert any("GLACIER_MAP" in note for note in result.notes)  # no map: GlacierID empty


def test_export_refuses_wrong_names(tmp_path):
    source = read_fronts_any(our_fronts(tmp_path / "ours.gpkg"))
    with pytest.raises(InputError, match=r"\.shp or \.gpkg"):
        export_fronts(source, "termpicks", tmp_path / "t.csv")
    with pytest.raises(InputError, match="calfin, termpicks, autoterm, geojson"):
        export_fronts(source, "kml", tmp_path / "t.kml")
    (tmp_path / "t.shp").write_text("mine")
    with pytest.raises(InputError):
        export_fronts(source, "termpicks", tmp_path / "t.shp")
    assert (tmp_path / "t.shp").read_text() == "mine"


def test_calfin_lines_and_closed_polygons(tmp_path):
    line = LineString([(-185000, -2268000), (-184000, -2268500)])
    lines = write_layer(
        tmp_path / "termini_1972-2019_Jakobshavn_v1.0.shp",
        CALFIN_FIELDS,
        [calfin_row(line, "2010-07-05", "LE07_L1TP_009011_20100705_20161212_01_T1", qual=13)],
    )
    fronts = read_fronts_any(lines)
    record = fronts.records[0]
    assert fronts.schema == "calfin"
    assert record["glacier_id"] == "jakobshavn_isbrae"  # by name, without a map
    assert (record["qual_flag"], record["src_qual_flag"]) == (10, 13)
    assert record["date"] == D(2010, 7, 5) and record["sensor"] == "LE07"
    polygon = Polygon([(-185000, -2268000), (-184000, -2268500), (-184000, -2269000)])
    closed = write_layer(
        tmp_path / "termini_1972-2019_Jakobshavn_closed_v1.0.shp",
        CALFIN_FIELDS,
        [calfin_row(polygon, "2010-07-05", "LE07_L1TP_009011_20100705_20161212_01_T1")],
    )
    record = read_fronts_any(closed).records[0]
    assert record["mask"].equals(polygon)
    assert record["geometry"].geom_type == "LineString"


def termpicks_row(date, glacier=7, **extra):
    return {
        "GlacierID": glacier,
        "Date": date,
        "QualFlag": 0,
        "Satellite": "LC08",
        "Author": "Goliber_S",
        "geometry": LineString([(-185000, -2268000), (-184000, -2268500)]),
        **extra,
    }


def test_termpicks_dates_month_00_and_unmapped_ids(tmp_path):
    path = write_layer(
        tmp_path / "TermPicks_V2.shp",
        TERMPICKS_FIELDS,
        [
            termpicks_row("2015-08-01"),
            termpicks_row("1999-00-00", Year=1999, Month=0, Day=0),
            termpicks_row("2003-06-00"),
            termpicks_row("sometime in 2005"),
            termpicks_row(None, Year=2011, Month=3, Day=4),
        ],
    )
    fronts = read_fronts_any(path)
    assert fronts.schema == "termpicks"
    assert [r["date"] for r in fronts.records] == [
        D(2015, 8, 1),
        D(1999, 7, 1),
        D(2003, 6, 15),
        None,
        D(2011, 3, 4),
    ]
    assert [r["date_known"] for r in fronts.records] == ["day", "year", "month", None, "day"]
    assert len(fronts.records) == 5  # the undated front is kept
    text = "\n".join(fronts.notes)
    assert "feature 4: date 'sometime in 2005' does not read as a date" in text
    assert "2 front(s) have month or day 00 (unknown)" in text
    assert "glacier id(s) 7 match none" in text and "GLACIER_MAP" in text
    assert fronts.records[0]["glacier_id"] == "7"
    mapped = read_fronts_any(path, GlacierMap({7: "helheim"}))
    assert {r["glacier_id"] for r in mapped.records} == {"helheim"}
    assert not any("GLACIER_MAP" in n for n in mapped.notes)


def test_autoterm_fields_with_spaces(tmp_path):
    row = {"Date": "2019-05-02", "Glacier ID": 12, "Satellite": "S2A", "Error": 42.5}
    row["geometry"] = LineString([(0, 0), (100, 0)])
    fronts = read_fronts_any(write_layer(tmp_path / "autoterm.gpkg", AUTOTERM_FIELDS, [row]))
    record = fronts.records[0]
    assert fronts.schema == "autoterm"
    assert (record["uncertainty_m"], record["glacier_id"], record["date"]) == (
        42.5,
        "12",
        D(2019, 5, 2),
    )


def test_unknown_layout_names_the_fields_looked_for(tmp_path):
    row = {"name": "x", "geometry": LineString([(0, 0), (1, 1)])}
    path = write_layer(tmp_path / "other.gpkg", [("name", "str")], [row])
    with pytest.raises(InputError) as err:
        read_fronts_any(path)
    message = str(err.value)
    assert "fields (name)" in message
    for looked_for in ("image_id", "GlacierID", "DecDate", "Glacier ID", "Error"):
        assert looked_for in message


def test_shapefile_cut_names_are_recognised(tmp_path):
    """Our fronts saved as a shapefile: cloud_cover → cloud_cove, uncertainty_m → uncertaint."""
    fields = FRONT_FIELDS  # with uncertainty_m
    row = {"glacier_id": "g", "image_id": "i", "date": D(2001, 7, 7), "qual_flag": 10}
    row |= {"cloud_cover": 12.5, "uncertainty_m": 30.0, "geometry": LineString([(0, 0), (1, 1)])}
    path = write_layer(tmp_path / "fronts.shp", fields, [row])
    ds = ogr.Open(str(path))
    assert "uncertaint" in [f.GetName() for f in ds.GetLayer(0).schema]
    record = read_fronts_any(path).records[0]
    assert (record["cloud_cover"], record["uncertainty_m"]) == (12.5, 30.0)


def test_glacier_map_layer_and_names(tmp_path):
    rows = [{"glacier_id": "helheim", "GlacierID": 5, "geometry": LineString([(0, 0), (1, 1)])}]
    path = write_layer(tmp_path / "map.gpkg", MAP_FIELDS, rows)
    assert read_glacier_map(path).glacier(5) == "helheim"
    bad = write_layer(tmp_path / "bad.gpkg", [("name", "str")], [{"name": "x", **rows[0]}])
    with pytest.raises(InputError, match="glacier_id"):
        read_glacier_map(bad)
    assert name_key("Jakobshavn Isbræ") == name_key("jakobshavn_isbrae") == "jakobshavn"
    shared = GlacierMap()
    assert shared.glacier(None, ["Kangerlussuaq Gletsjer"]) == "kangerdlugssuaq"
    assert shared.glacier(None, ["Upernavik-NE"]) is None  # its arm is not certain: no guess


def test_flag_mapping_keeps_both_meanings():
    slc_off, slc_on = D(2010, 1, 1), D(2001, 1, 1)
    assert [flags.to_database(f, "LE07", slc_off) for f in (0, 3, 10, 13)] == [3, 3, 13, 13]
    assert [flags.to_database(f, "LE07", slc_on) for f in (0, 3, 10, 13)] == [0, 0, 10, 10]
    assert [flags.from_database(f) for f in (0, 3, 10, 13)] == [0, 0, 10, 10]


def test_dates():
    assert dates.parse("2001/07/07").date == D(2001, 7, 7)
    assert dates.parse("20010707").date == D(2001, 7, 7)
    assert dates.parse("2001-07-07T10:11:12").date == D(2001, 7, 7)
    assert dates.parse(None, decimal=dates.decimal_year(D(2012, 12, 31))).date == D(2012, 12, 31)
    assert dates.parse("2001-13-40") is None


def test_export_from_the_shell(tmp_path, capsys):
    from calfin_qgis.core.cli.commands import main

    fronts = our_fronts(tmp_path / "ours.gpkg")
    glacier_map_path = glacier_map(tmp_path / "map.gpkg", 3)
    out = tmp_path / "OUT.shp"
    args = [str(fronts), "--format", "termpicks", "--output", str(out)]
    assert main(["export", *args, "--glacier-map", str(glacier_map_path)]) == 0
    assert "3 front(s) of ours.gpkg (calfin_qgis) written" in capsys.readouterr().out
    assert {r["glacier_id"] for r in read_fronts_any(out).records} == {"jakobshavn_isbrae"}
    assert main(["export", *args]) == 2  # exists: not replaced without --overwrite
    assert "exists" in capsys.readouterr().err
    assert (
        main(
            [
                "export",
                str(tmp_path / "map.gpkg"),
                "--format",
                "calfin",
                "--output",
                str(tmp_path / "x.shp"),
            ]
        )
        == 2
    )
    assert "follow none of the front layouts" in capsys.readouterr().err


def test_closed_polygons_round_trip(tmp_path):
    polygon = Polygon([(-185000, -2268000), (-184000, -2268500), (-184000, -2269000)])
    closed = write_layer(
        tmp_path / "termini_1972-2019_Jakobshavn_closed_v1.0.shp",
        CALFIN_FIELDS,
        [calfin_row(polygon, "2010-07-05", "LE07_L1TP_009011_20100705_20161212_01_T1")],
    )
    export_fronts(read_fronts_any(closed), "calfin", tmp_path / "again_closed.shp")
    record = read_fronts_any(tmp_path / "again_closed.shp").records[0]
    assert record["mask"].symmetric_difference(polygon).area < 1.0
    assert record["glacier_id"] == "jakobshavn_isbrae" and record["date"] == D(2010, 7, 5)


def test_a_chosen_id_field_keeps_the_layout():
    from calfin_qgis.core.databases.schemas import recognise

    names = [name for name, _ in CALFIN_FIELDS]
    match = recognise(names, "calfin.shp", id_field="RefName")
    assert (match.schema, match.fields["image"]) == ("calfin", "RefName")
    assert recognise(["scene", "x"], "mine.gpkg", id_field="scene").schema == "calfin_qgis"

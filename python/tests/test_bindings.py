"""The Python package against the real pipeline: a die encoded, a casing fired, read
from arrays and files, x3p written and read back through numpy, bad input refused."""

import json
import os
import subprocess

import numpy
import pytest

import microstamp


@pytest.fixture(scope="module")
def die():
    return microstamp.encode("Glock", "G17", "BXR123", designs=["ring"])


@pytest.fixture(scope="module")
def shot(die):
    return microstamp.fire(die, rounds=1, seed=7, size=600)


def test_die_carries_identity_and_heightmap_view(die):
    assert die.identity == {"manufacturer": "Glock", "model": "G17", "serial": "BXR123"}
    heights = die.heightmap
    assert heights.dtype == numpy.float64 and heights.ndim == 2
    assert numpy.nanmin(heights) < -10  # engraved cells, 15 um deep
    assert not heights.flags.writeable


def test_fired_casing_read_from_topography_array(shot):
    heights = shot["topography"]
    assert heights.shape == (600, 600) and heights.dtype == numpy.float64
    reading = microstamp.read(heights, um_per_px=shot["spacing_um"])
    assert reading["status"] == "decoded"
    assert reading["identity"]["serial"] == "BXR123"
    assert reading["identity"]["manufacturer"] == "Glock"


def test_fired_casing_read_from_photograph_array(shot):
    photo = shot["photograph"]
    assert photo.dtype == numpy.uint8 and photo.ndim == 2
    reading = microstamp.read(photo, um_per_px=shot["um_per_px"])
    assert reading["status"] == "decoded"
    assert reading["identity"]["serial"] == "BXR123"


def test_x3p_round_trip_through_numpy(tmp_path, shot):
    heights = shot["topography"].copy()
    heights[0:10, 0:20] = numpy.nan  # invalid points must survive as NaN
    path = tmp_path / "casing.x3p"
    microstamp.write_x3p(path, heights, um_per_px=2.0, metadata={"creator": "pytest", "comment": "round trip"})
    back, metadata = microstamp.read_x3p(path)
    assert back.shape == heights.shape
    assert numpy.array_equal(numpy.isnan(back), numpy.isnan(heights))
    assert numpy.allclose(back[~numpy.isnan(back)], heights[~numpy.isnan(heights)], rtol=0, atol=1e-9)
    assert metadata["creator"] == "pytest" and metadata["comment"] == "round trip"
    assert metadata["spacing_x_um"] == pytest.approx(2.0)
    reading = microstamp.read(path)
    assert reading["status"] == "decoded" and reading["file"] == str(path)


def test_reading_has_the_fields_of_the_command_line_json(tmp_path, shot):
    program = os.environ.get("MICROSTAMP_PROGRAM")
    assert program, "set MICROSTAMP_PROGRAM to the microstamp program to compare with (ctest does)"
    path = tmp_path / "casing.x3p"
    microstamp.write_x3p(path, shot["topography"], um_per_px=shot["spacing_um"])
    printed = json.loads(subprocess.run([program, "read", str(path)], capture_output=True, text=True,
                                        check=True).stdout)
    reading = microstamp.read(path)
    assert set(reading) - {"timings_ms"} == set(printed) - {"timings_ms"}
    for field in ("status", "identity", "confidence", "file"):
        assert reading[field] == printed[field]


def test_bad_input_raises_with_one_line_message(tmp_path):
    with pytest.raises(RuntimeError, match="no such file"):
        microstamp.read(tmp_path / "missing.x3p")
    with pytest.raises(ValueError, match="2-D"):
        microstamp.read(numpy.zeros(100), um_per_px=2.0)
    with pytest.raises(ValueError, match="too small"):
        microstamp.read(numpy.zeros((10, 10), dtype=numpy.uint8), um_per_px=2.0)
    with pytest.raises(ValueError):
        microstamp.encode("Glock", "G17", "lower case!")
    bad = tmp_path / "bad.x3p"
    bad.write_bytes(b"PK\x03\x04 not a zip archive")
    with pytest.raises(RuntimeError) as raised:
        microstamp.read_x3p(bad)
    assert "\n" not in str(raised.value) and str(bad) in str(raised.value)

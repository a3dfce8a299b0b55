"""microstamp: encode, simulate and read firearm microstamps from Python.

    import microstamp
    microstamp.read("casing.x3p")                       # a scan or a photograph file
    microstamp.read(heights, um_per_px=2.0)             # float array of heights in um (NaN = invalid)
    microstamp.read(photo, um_per_px=1.0)               # uint8 / uint16 grey photograph
    heights, metadata = microstamp.read_x3p("casing.x3p")
    microstamp.write_x3p("out.x3p", heights, um_per_px=2.0)
    die = microstamp.encode("Glock", "G17", "BXR123")
    shot = microstamp.fire(die, rounds=100, seed=7)     # topography and photograph arrays

A reading is a dict with the fields `microstamp read` prints as JSON. Bad input raises
ValueError (or RuntimeError for files) with the command line's one-line message.
"""

import json as _json
import os as _os

import numpy as _numpy

from . import _microstamp

__version__ = _microstamp.__version__
Die = _microstamp.Die


def read(source, um_per_px=None, spacing_y_um=None, designs_alongside_ring=False):
    """Reads the microstamp on a file (x3p, PNG, TIFF, JPEG) or an array.

    A floating-point array holds heights in micrometres at `um_per_px` spacing (rows
    `spacing_y_um` apart when it differs); an integer array is a grey photograph at
    `um_per_px` micrometres per pixel.
    """
    if isinstance(source, (str, _os.PathLike)):
        text = _microstamp.read_file(_os.fspath(source), um_per_px or 0.0, designs_alongside_ring)
        reading = _json.loads(text)
        reading["file"] = _os.fspath(source)
        return reading
    array = _numpy.asarray(source)
    if um_per_px is None:
        raise ValueError("reading an array needs um_per_px (the spacing of its samples in micrometres)")
    if array.dtype == _numpy.uint8:
        text = _microstamp.read_photograph8(array, um_per_px, designs_alongside_ring)
    elif array.dtype.kind in "ui":
        text = _microstamp.read_photograph16(array, um_per_px, designs_alongside_ring)
    elif array.dtype.kind == "f":
        text = _microstamp.read_heights(array, um_per_px, spacing_y_um or 0.0, designs_alongside_ring)
    else:
        raise ValueError(f"cannot read an array of {array.dtype}: give heights (float) or a photograph (uint8, uint16)")
    return _json.loads(text)


def read_x3p(path):
    """(heights in um as a float64 array with NaN for invalid points, metadata dict)."""
    return _microstamp.read_x3p(_os.fspath(path))


def write_x3p(path, heights, um_per_px, spacing_y_um=None, metadata=None):
    """Writes heights in um (NaN = invalid) as an x3p file; metadata fills Record2."""
    _microstamp.write_x3p(_os.fspath(path), heights, um_per_px, spacing_y_um or 0.0, metadata or {})


def encode(make, model, serial, designs=("ring", "text"), pin_diameter_um=0.0, depth_um=15.0, spacing_um=1.0):
    """The die for one pistol (a Die: identity, text_key, heightmap; die.write(folder))."""
    return _microstamp.encode(make, model, serial, list(designs), pin_diameter_um, depth_um, spacing_um)


def fire(die, firearm="service-9mm-striker", ammunition="standard-small-pistol", rounds=1, seed=1,
         spacing_um=2.0, size=1000):
    """Fires `rounds` rounds and returns the last casing: a dict with 'topography' (heights
    in um, NaN invalid), 'photograph' (grey array), 'spacing_um', 'um_per_px' and 'truth'."""
    shot = _microstamp.fire(die, firearm, ammunition, rounds, seed, spacing_um, size)
    shot["truth"] = _json.loads(shot["truth"])
    return shot

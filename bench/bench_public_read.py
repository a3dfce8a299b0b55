"""Times microstamp.read on a 1000 x 1000 heights array (a casing fired at seed 7), the
read bench/bench_public_read.cpp times in C++. Prints the median of N reads in ms.

    PYTHONPATH=build/python /usr/bin/python3 bench/bench_public_read.py [N]
"""

import statistics
import sys
import time

import microstamp

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 30
die = microstamp.encode("Glock", "G17", "BXR123", designs=["ring", "text"])
shot = microstamp.fire(die, seed=7, size=1000)
heights = shot["topography"]
assert heights.shape == (1000, 1000)
assert microstamp.read(heights, um_per_px=shot["spacing_um"])["status"] == "decoded"
times = []
for _ in range(repeats):
    started = time.perf_counter()
    microstamp.read(heights, um_per_px=shot["spacing_um"])
    times.append((time.perf_counter() - started) * 1000)
print(f"python read 1000x1000: median {statistics.median(times):.2f} ms, "
      f"min {min(times):.2f} ms over {repeats} reads")

// Simulator cost: wear must not grow with rounds fired; one shot at 1000 x 1000
// (strike + topography scan + photograph) is budgeted at 20 ms on one core.
#include "physics/fire.hpp"

#include "benchmark_die.hpp"

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>

namespace {

using namespace microstamp;

const Die& die() { return benchmark_die(); }

// Per shot: the chip sites are found once per pin (bench_study's pistol_pin_once).
void wear_pin_face(benchmark::State& state) {
    cv::setNumThreads(1);
    const PinFace fresh = pin_face(die());
    const ChipSites chips = chip_sites(fresh, default_physics_constants(), 1);
    for (auto _ : state) benchmark::DoNotOptimize(wear(fresh, chips, state.range(0), default_physics_constants()));
}
BENCHMARK(wear_pin_face)->Arg(1)->Arg(10000)->Arg(1000000)->Unit(benchmark::kMillisecond);

void pin_face_of_die(benchmark::State& state) {
    cv::setNumThreads(1);
    for (auto _ : state) benchmark::DoNotOptimize(pin_face(die()));
}
BENCHMARK(pin_face_of_die)->Unit(benchmark::kMillisecond);

// Softening, fillability and area-averaging to the default 2 um scan grid.
void prepare_transfer_at_scan_spacing(benchmark::State& state) {
    cv::setNumThreads(1);
    const PinFace worn = wear(pin_face(die()), 1000, default_physics_constants(), 1);
    const Ammunition ammunition = load_ammunition("standard-small-pistol");
    for (auto _ : state)
        benchmark::DoNotOptimize(prepare_transfer(worn, ammunition, default_physics_constants(), CasingGrid{}.spacing_um));
}
BENCHMARK(prepare_transfer_at_scan_spacing)->Unit(benchmark::kMillisecond);

struct Prepared {
    Firearm firearm;
    Ammunition ammunition;
    TransferMap transfer;
    CasingGrid grid;
};

Prepared prepared(const std::string& firearm_name) {
    Prepared result{load_firearm(firearm_name), load_ammunition("standard-small-pistol"), {}, {}};
    result.transfer = prepare_transfer(wear(pin_face(die()), 1000, default_physics_constants(), 1), result.ammunition,
                                       default_physics_constants(), result.grid.spacing_um);
    return result;
}

void one_shot(benchmark::State& state, const std::string& firearm_name, bool force_drag) {
    cv::setNumThreads(1);
    const Prepared setup = prepared(firearm_name);
    std::uint64_t seed = 1;
    for (auto _ : state) {
        StrikePose pose = sample_pose(setup.firearm, setup.ammunition, default_physics_constants(), ++seed);
        pose.drag = force_drag;
        if (force_drag) pose.drag_length_um = setup.firearm.drag_length_um;
        const Surface casing = strike(setup.transfer, setup.firearm, setup.ammunition, pose, default_physics_constants(), setup.grid);
        const SurfaceSlopes slopes = surface_slopes(casing);
        benchmark::DoNotOptimize(scan_topography(casing, slopes, Scanner{}, seed));
        benchmark::DoNotOptimize(photograph(casing, slopes, Microscope{}, seed));
    }
}

void shot_strike_and_both_scans(benchmark::State& state) { one_shot(state, "service-9mm-striker", false); }
BENCHMARK(shot_strike_and_both_scans)->Unit(benchmark::kMillisecond);

void shot_with_drag(benchmark::State& state) { one_shot(state, "duty-40-tilting", true); }
BENCHMARK(shot_with_drag)->Unit(benchmark::kMillisecond);

void strike_only(benchmark::State& state) {
    cv::setNumThreads(1);
    const Prepared setup = prepared("service-9mm-striker");
    std::uint64_t seed = 1;
    for (auto _ : state) {
        StrikePose pose = sample_pose(setup.firearm, setup.ammunition, default_physics_constants(), ++seed);
        pose.drag = false;
        benchmark::DoNotOptimize(strike(setup.transfer, setup.firearm, setup.ammunition, pose, default_physics_constants(), setup.grid));
    }
}
BENCHMARK(strike_only)->Unit(benchmark::kMillisecond);

void topography_only(benchmark::State& state) {
    const Prepared setup = prepared("service-9mm-striker");
    const Surface casing = strike(setup.transfer, setup.firearm, setup.ammunition,
                                  sample_pose(setup.firearm, setup.ammunition, default_physics_constants(), 1),
                                  default_physics_constants(), setup.grid);
    for (auto _ : state) benchmark::DoNotOptimize(scan_topography(casing, Scanner{}, 1));
}
BENCHMARK(topography_only)->Unit(benchmark::kMillisecond);

void photograph_only(benchmark::State& state) {
    cv::setNumThreads(1);
    const Prepared setup = prepared("service-9mm-striker");
    const Surface casing = strike(setup.transfer, setup.firearm, setup.ammunition,
                                  sample_pose(setup.firearm, setup.ammunition, default_physics_constants(), 1),
                                  default_physics_constants(), setup.grid);
    for (auto _ : state) benchmark::DoNotOptimize(photograph(casing, Microscope{}, 1));
}
BENCHMARK(photograph_only)->Unit(benchmark::kMillisecond);

} // namespace

// Fusion on simulated casings: three casings fired by one pistol, each with
// 70% of its ring's sectors made unreadable (17 of 24 sector wedges of both code tracks
// removed from the topography, a different random set per casing; the finder circles
// are left to locate the ring), so that none decodes alone; the three readings are fused. And scenes of two pistols, three casings
// each with up to 30% removed, which must never be fused into one identity.
//
//   build/bench/bench_fusion                 # 200 scenes (MICROSTAMP_BENCH_SCENES to change)
//   MICROSTAMP_BENCH_VERBOSE=1 build/bench/bench_fusion   # each scene not fused right, on stderr
#include "code/ring_fusion.hpp"
#include "physics/fire.hpp"
#include "read/read.hpp"

#include <benchmark/benchmark.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <numbers>
#include <opencv2/core.hpp>
#include <random>

namespace {

using namespace microstamp;

int scene_count() {
    const char* text = std::getenv("MICROSTAMP_BENCH_SCENES");
    return text ? std::max(1, std::atoi(text)) : 200;
}

Die ring_die(const Identity& identity) {
    DieDesign design;
    design.designs = {Design::ring};
    return encode(identity, design);
}

std::vector<Shot> fire_casings(const Die& die, std::uint64_t seed, int count) {
    FireOptions options;
    options.rounds = count;
    options.seed = seed;
    for (int shot = 1; shot <= count; ++shot) options.shots.push_back(shot);
    std::vector<Shot> shots;
    fire(die, load_firearm("service-9mm-striker"), load_ammunition("standard-small-pistol"), options,
         [&](Shot&& shot) { shots.push_back(std::move(shot)); });
    return shots;
}

// The topography with `removed` of the reader's 24 sector wedges (as a clean read placed
// them) made invalid over the whole code annulus.
Surface without_sectors(const Surface& topography, const RingPlacement& placement, int removed, std::mt19937_64& random) {
    std::vector<int> sectors(ring_sectors_per_track);
    std::iota(sectors.begin(), sectors.end(), 0);
    std::shuffle(sectors.begin(), sectors.end(), random);
    std::vector<bool> gone(ring_sectors_per_track, false);
    for (int i = 0; i < removed; ++i) gone[static_cast<std::size_t>(sectors[static_cast<std::size_t>(i)])] = true;
    Surface result = topography;
    const double sector = 2 * std::numbers::pi / ring_sectors_per_track;
    // The code tracks only: the finder circles still locate the ring.
    const double inner = 329 * placement.px_per_um, outer = 511 * placement.px_per_um;
    for (std::size_t row = 0; row < result.height; ++row)
        for (std::size_t column = 0; column < result.width; ++column) {
            const double dx = static_cast<double>(column) - placement.centre_column;
            const double dy = placement.centre_row - static_cast<double>(row);
            const double distance = std::hypot(dx, dy);
            if (distance < inner || distance > outer) continue;
            double angle = std::atan2(dy, dx) - placement.grid_angle;
            angle = std::fmod(angle + 4 * std::numbers::pi, 2 * std::numbers::pi);
            const auto index = static_cast<std::size_t>(std::min(ring_sectors_per_track - 1, static_cast<int>(angle / sector)));
            if (gone[index]) result.valid[row * result.width + column] = 0;
        }
    return result;
}

bool verbose() { return std::getenv("MICROSTAMP_BENCH_VERBOSE") != nullptr; }

void log_scene(int scene, std::size_t observations, const Fusion& fusion) {
    std::fprintf(stderr, "scene %d: %zu observations, %zu groups:", scene, observations, fusion.groups.size());
    for (const FusedGroup& group : fusion.groups)
        std::fprintf(stderr, " [%zu members, %s, %d erasures, %d errors, capacity %d%s%s]", group.members.size(),
                     group.decoding.status == RingStatus::decoded ? "decoded" : "failed", group.decoding.erasures,
                     group.decoding.errors, group.decoding.unused_capacity, group.decoding.failure.empty() ? "" : ": ",
                     group.decoding.failure.c_str());
    std::fprintf(stderr, "\n");
}

// Where the damaged read placed the ring, against the clean read of the same casing,
// and how many of its cells it was sure of (|soft value| >= 0.35, as fusion counts them).
void log_casing(int scene, const RingPlacement& clean, const Reading& damaged) {
    if (!damaged.placement || !damaged.observation) {
        std::fprintf(stderr, "scene %d casing: no placement or observation\n", scene);
        return;
    }
    const RingPlacement& placed = *damaged.placement;
    const double sector_degrees = 360.0 / ring_sectors_per_track;
    double turn = std::fmod((placed.grid_angle - clean.grid_angle) * 180 / std::numbers::pi, sector_degrees);
    if (turn < -sector_degrees / 2) turn += sector_degrees;
    if (turn > sector_degrees / 2) turn -= sector_degrees;
    int sure = 0;
    for (const auto& symbol : damaged.observation->cells)
        for (const float value : symbol) sure += std::fabs(value) >= 0.35f;
    std::fprintf(stderr, "scene %d casing: centre off %.1f px, scale %.4f, angle off %.2f deg, %d sure cells\n", scene,
                 std::hypot(placed.centre_column - clean.centre_column, placed.centre_row - clean.centre_row),
                 placed.px_per_um / clean.px_per_um, turn, sure);
}

bool names(const RingDecoding& decoding, const Identity& identity) {
    return decoding.status == RingStatus::decoded && decoding.fields->serial == identity.serial &&
           decoding.fields->manufacturer_code == identity.manufacturer_code &&
           decoding.fields->model_code == identity.model_code;
}

void three_casings_seventy_percent_unreadable(benchmark::State& state) {
    cv::setNumThreads(1);
    const Identity identity = default_catalog().identity("SIG Sauer", "P365", "66A-384219");
    const Die die = ring_die(identity);
    double scenes = 0, fused_right = 0, decoded_alone = 0, wrong = 0, unplaced = 0;
    std::mt19937_64 random(20261125);
    for (auto _ : state) {
        for (int scene = 0; scene < scene_count(); ++scene) {
            std::vector<RingObservation> observations;
            for (const Shot& shot : fire_casings(die, 1000 + static_cast<std::uint64_t>(scene), 3)) {
                const Reading clean = read(shot.topography);
                if (!clean.placement) {
                    ++unplaced;
                    continue;
                }
                const Reading damaged = read(without_sectors(shot.topography, *clean.placement, 17, random));
                if (verbose()) log_casing(scene, *clean.placement, damaged);
                if (damaged.identity) (*damaged.identity == identity ? decoded_alone : wrong) += 1;
                if (damaged.observation) observations.push_back(*damaged.observation);
            }
            const Fusion fusion = fuse_rings(observations);
            const double right_before = fused_right;
            for (const FusedGroup& group : fusion.groups) {
                if (group.decoding.status != RingStatus::decoded) continue;
                if (!names(group.decoding, identity)) ++wrong;
                else if (group.members.size() == 3) ++fused_right;
            }
            if (verbose() && fused_right == right_before) log_scene(scene, observations.size(), fusion);
            ++scenes;
        }
    }
    state.counters["scenes"] = scenes;
    state.counters["fused_right"] = fused_right / scenes;
    state.counters["decoded_alone"] = decoded_alone;
    state.counters["wrong"] = wrong;
    state.counters["unplaced"] = unplaced;
}

void two_pistols_never_fused(benchmark::State& state) {
    cv::setNumThreads(1);
    const Identity first = default_catalog().identity("SIG Sauer", "P365", "66A-384219");
    const Identity second = default_catalog().identity("Smith & Wesson", "M&P9", "NKB4471");
    const Die first_die = ring_die(first), second_die = ring_die(second);
    double scenes = 0, merged = 0, wrong = 0, groups_decoded = 0;
    std::mt19937_64 random(20261126);
    for (auto _ : state) {
        for (int scene = 0; scene < scene_count() / 4; ++scene) {
            std::vector<RingObservation> observations;
            for (const Die* die : {&first_die, &second_die})
                for (const Shot& shot : fire_casings(*die, 5000 + static_cast<std::uint64_t>(scene), 3)) {
                    const Reading clean = read(shot.topography);
                    if (!clean.placement) continue;
                    const int removed = static_cast<int>(random() % 8);
                    const Reading damaged = read(without_sectors(shot.topography, *clean.placement, removed, random));
                    if (damaged.observation) observations.push_back(*damaged.observation);
                }
            std::shuffle(observations.begin(), observations.end(), random);
            for (const FusedGroup& group : fuse_rings(observations).groups) {
                if (group.decoding.status != RingStatus::decoded) continue;
                ++groups_decoded;
                if (!names(group.decoding, first) && !names(group.decoding, second)) ++wrong;
                if (group.members.size() > 3) ++merged;
            }
            ++scenes;
        }
    }
    state.counters["scenes"] = scenes;
    state.counters["groups_decoded"] = groups_decoded;
    state.counters["merged_two_guns"] = merged;
    state.counters["wrong"] = wrong;
}

BENCHMARK(three_casings_seventy_percent_unreadable)->Iterations(1)->Unit(benchmark::kSecond);
BENCHMARK(two_pistols_never_fused)->Iterations(1)->Unit(benchmark::kSecond);

} // namespace

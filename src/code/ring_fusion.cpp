#include "code/ring_fusion.hpp"

#include <algorithm>
#include <cmath>

namespace microstamp {
namespace {

constexpr float sure = 0.35f;

// `observation` seen in `frame`'s orientation: its sector j is the frame's sector j + rotation.
RingObservation rotated(const RingObservation& observation, int rotation) {
    RingObservation result;
    for (int symbol = 0; symbol < ring_symbols; ++symbol) {
        const int track = symbol / ring_sectors_per_track, sector = symbol % ring_sectors_per_track;
        const int target = track * ring_sectors_per_track + (sector + rotation) % ring_sectors_per_track;
        result.cells[static_cast<std::size_t>(target)] = observation.cells[static_cast<std::size_t>(symbol)];
    }
    return result;
}

struct Agreement {
    int rotation = 0;
    int shared = 0;
    double best = 0, second = 0;
};

// How well `candidate`, turned by each rotation, agrees with `reference` on cells both are sure of.
Agreement agreement(const RingObservation& reference, const RingObservation& candidate) {
    Agreement result;
    result.best = -1;
    result.second = -1;
    for (int rotation = 0; rotation < ring_sectors_per_track; ++rotation) {
        int shared = 0, agreeing = 0;
        for (int symbol = 0; symbol < ring_symbols; ++symbol) {
            const int track = symbol / ring_sectors_per_track, sector = symbol % ring_sectors_per_track;
            const auto& theirs = candidate.cells[static_cast<std::size_t>(symbol)];
            const auto& ours = reference.cells[static_cast<std::size_t>(track * ring_sectors_per_track +
                                                                         (sector + rotation) % ring_sectors_per_track)];
            for (int cell = 0; cell < ring_cells_per_symbol; ++cell) {
                const float a = ours[static_cast<std::size_t>(cell)], b = theirs[static_cast<std::size_t>(cell)];
                if (!(std::fabs(a) >= sure && std::fabs(b) >= sure)) continue;
                ++shared;
                agreeing += (a > 0) == (b > 0);
            }
        }
        const double share = shared > 0 ? static_cast<double>(agreeing) / shared : 0;
        if (share > result.best) {
            result.second = result.best;
            result.best = share;
            result.rotation = rotation;
            result.shared = shared;
        } else if (share > result.second) {
            result.second = share;
        }
    }
    return result;
}

void accumulate(RingObservation& sum, const RingObservation& added) {
    for (std::size_t symbol = 0; symbol < sum.cells.size(); ++symbol)
        for (std::size_t cell = 0; cell < ring_cells_per_symbol; ++cell) {
            const float value = added.cells[symbol][cell];
            if (std::isfinite(value)) sum.cells[symbol][cell] += std::clamp(value, -1.0f, 1.0f);
        }
}

// Sums of agreeing casings grow beyond 1; the decoder wants soft values in [-1, 1].
RingDecoding decode_sum(const RingObservation& sum, const RingReadOptions& options) {
    RingObservation normalised = sum;
    for (auto& sector : normalised.cells)
        for (auto& value : sector) value = std::clamp(value, -1.0f, 1.0f);
    return decode_ring(normalised, options);
}

// The rotations that bring an observation onto the engraved frame by its sync cells
// alone, best first. A casing that shows only a few sectors may put a wrong rotation
// first by a little, so the runner-up is kept too.
std::vector<int> sync_rotations(const RingObservation& observation, int count) {
    std::vector<std::pair<double, int>> scored;
    for (int rotation = 0; rotation < ring_sectors_per_track; ++rotation) {
        double score = 0;
        for (int symbol = 0; symbol < ring_symbols; ++symbol) {
            const int track = symbol / ring_sectors_per_track;
            const int engraved = track * ring_sectors_per_track + (symbol % ring_sectors_per_track + rotation) % ring_sectors_per_track;
            score += (ring_sync_bit(engraved) ? 1.0 : -1.0) * observation.cells[static_cast<std::size_t>(symbol)][ring_sync_cell];
        }
        scored.emplace_back(-score, rotation);
    }
    std::sort(scored.begin(), scored.end());
    std::vector<int> best;
    for (int i = 0; i < count; ++i) best.push_back(scored[static_cast<std::size_t>(i)].second);
    return best;
}

// The rotations of each casing to try, relative to the first casing (the decoder turns
// the sum itself, so only relative rotations matter). A casing that shows few sectors
// may rank its true rotation anywhere by its sync cells: with two or three casings every
// relative rotation is tried (24 or 576 sums), with four the best four of each (by sync)
// against the first's best two; beyond that each casing's best. Every sum is a decode
// counted in the attempts (2^-32 each).
std::vector<std::vector<int>> rotation_choices(const std::vector<RingObservation>& observations, const std::vector<int>& members) {
    std::vector<std::vector<int>> choices;
    std::vector<int> every(ring_sectors_per_track);
    for (int rotation = 0; rotation < ring_sectors_per_track; ++rotation) every[static_cast<std::size_t>(rotation)] = rotation;
    for (std::size_t i = 0; i < members.size(); ++i) {
        const RingObservation& observation = observations[static_cast<std::size_t>(members[i])];
        if (members.size() <= 3) choices.push_back(i == 0 ? std::vector<int>{0} : every);
        else if (members.size() == 4) choices.push_back(sync_rotations(observation, i == 0 ? 2 : 4));
        else choices.push_back(sync_rotations(observation, 1));
    }
    return choices;
}

// The sum of the casings turned by each combination of their rotation choices, until
// one decodes.
RingDecoding decode_together(const std::vector<RingObservation>& observations, const std::vector<int>& members,
                             const RingReadOptions& options) {
    const std::vector<std::vector<int>> choices = rotation_choices(observations, members);
    std::size_t combinations = 1;
    for (const auto& choice : choices) combinations *= choice.size();
    RingDecoding result;
    int attempts = 0;
    for (std::size_t combination = 0; combination < combinations; ++combination) {
        RingObservation sum;
        std::size_t rest = combination;
        for (std::size_t i = 0; i < members.size(); ++i) {
            accumulate(sum, rotated(observations[static_cast<std::size_t>(members[i])], choices[i][rest % choices[i].size()]));
            rest /= choices[i].size();
        }
        result = decode_sum(sum, options);
        attempts += result.attempts;
        if (result.status == RingStatus::decoded) break;
    }
    result.attempts = attempts;
    return result;
}

} // namespace

RingObservation shifted_by_columns(const RingObservation& observation, int shift) {
    constexpr int columns_per_track = ring_sectors_per_track * ring_columns;
    RingObservation result;
    for (int track = 0; track < ring_tracks; ++track)
        for (int column = 0; column < columns_per_track; ++column) {
            const int source = ((column + shift) % columns_per_track + columns_per_track) % columns_per_track;
            const auto& from = observation.cells[static_cast<std::size_t>(track * ring_sectors_per_track + source / ring_columns)];
            auto& to = result.cells[static_cast<std::size_t>(track * ring_sectors_per_track + column / ring_columns)];
            for (int row = 0; row < ring_rows; ++row)
                to[static_cast<std::size_t>(row * ring_columns + column % ring_columns)] =
                    from[static_cast<std::size_t>(row * ring_columns + source % ring_columns)];
        }
    return result;
}

Fusion fuse_rings(const std::vector<RingObservation>& observations, const FusionOptions& options) {
    Fusion fusion;
    std::vector<int> remaining(observations.size());
    for (std::size_t i = 0; i < remaining.size(); ++i) remaining[i] = static_cast<int>(i);
    while (!remaining.empty()) {
        const RingDecoding trial = decode_together(observations, remaining, options.read);
        FusedGroup group;
        if (trial.status == RingStatus::decoded) {
            // The identity's whole pattern, in the engraved frame.
            const Identity identity{"", "", trial.fields->serial, trial.fields->manufacturer_code, trial.fields->model_code};
            const RingObservation pattern = ideal_ring_observation(ring_cells(ring_codeword(identity), FaceGeometry{}));
            for (const int index : remaining)
                for (const int shift : {0, -1, 1}) {
                    if (shift != 0 && !options.try_column_shifts) break;
                    const RingObservation seen = shifted_by_columns(observations[static_cast<std::size_t>(index)], shift);
                    const Agreement found = agreement(pattern, seen);
                    if (found.shared < options.min_shared_cells || found.best < options.min_agreement) continue;
                    group.members.push_back(index);
                    group.rotations.push_back(found.rotation);
                    group.column_shifts.push_back(shift);
                    accumulate(group.fused, rotated(seen, found.rotation));
                    break;
                }
        }
        if (group.members.empty()) {
            // Nothing decodes together: every casing stands alone.
            for (const int index : remaining) {
                FusedGroup alone;
                alone.members = {index};
                alone.rotations = {0};
                alone.column_shifts = {0};
                accumulate(alone.fused, observations[static_cast<std::size_t>(index)]);
                alone.decoding = decode_sum(alone.fused, options.read);
                fusion.groups.push_back(std::move(alone));
            }
            break;
        }
        group.decoding = decode_sum(group.fused, options.read);
        std::erase_if(remaining, [&](int index) {
            return std::find(group.members.begin(), group.members.end(), index) != group.members.end();
        });
        fusion.groups.push_back(std::move(group));
    }
    return fusion;
}

} // namespace microstamp

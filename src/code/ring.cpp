#include "code/ring.hpp"

#include "code/reed_solomon.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

namespace microstamp {
namespace {

// Found by a search for balanced pairs with the lowest worst cyclic correlation:
// combined off-peak |C| <= 4 of 48, and <= 4 of 24 within either track.
constexpr std::string_view inner_sync = "100111010111110001100100";
constexpr std::string_view outer_sync = "010110000100111110101101";

const ReedSolomon& ring_code() {
    static const ReedSolomon code(gf256(), ring_symbols, ring_data_symbols);
    return code;
}

// A fixed pseudo-random byte per symbol (xorshift32 from a constant seed).
const std::array<std::uint8_t, ring_symbols>& whitening() {
    static const auto table = [] {
        std::array<std::uint8_t, ring_symbols> bytes{};
        std::uint32_t state = 0x6d696372;  // "micr"
        for (auto& byte : bytes) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            byte = static_cast<std::uint8_t>(state >> 24);
        }
        return bytes;
    }();
    return table;
}

int data_bit_of_cell(int cell) { return cell < ring_sync_cell ? 7 - cell : 8 - cell; }

} // namespace

RingCodeword ring_codeword(const Identity& identity) {
    const ProtectedPayload message = protect(pack_payload(identity));
    const auto encoded = ring_code().encode(message);
    RingCodeword codeword{};
    std::copy(encoded.begin(), encoded.end(), codeword.begin());
    return codeword;
}

bool ring_sync_bit(int symbol) {
    const int sector = symbol % ring_sectors_per_track;
    const auto& sequence = symbol < ring_sectors_per_track ? inner_sync : outer_sync;
    return sequence[static_cast<std::size_t>(sector)] == '1';
}

std::uint8_t ring_whiten(int symbol, std::uint8_t value) {
    return static_cast<std::uint8_t>(value ^ whitening()[static_cast<std::size_t>(symbol)]);
}

bool ring_cell_engraved(int symbol, std::uint8_t codeword_byte, int cell) {
    if (cell == ring_sync_cell) return ring_sync_bit(symbol);
    return (ring_whiten(symbol, codeword_byte) >> data_bit_of_cell(cell)) & 1U;
}

std::vector<Cell> ring_cells(const RingCodeword& codeword, const FaceGeometry& geometry) {
    std::vector<Cell> cells;
    const double sector_angle = 2 * std::numbers::pi / ring_sectors_per_track;
    const double (*tracks[ring_tracks])[2] = {&geometry.ring_inner_track_um, &geometry.ring_outer_track_um};
    const double angular_margin = sector_angle / ring_columns * (1 - geometry.cell_fill) / 2;
    for (int symbol = 0; symbol < ring_symbols; ++symbol) {
        const int track = symbol / ring_sectors_per_track;
        const int sector = symbol % ring_sectors_per_track;
        const double inner = (*tracks[track])[0], outer = (*tracks[track])[1];
        const double row_height = (outer - inner) / ring_rows;
        const double radial_margin = row_height * (1 - geometry.cell_fill) / 2;
        for (int cell = 0; cell < ring_cells_per_symbol; ++cell) {
            const int row = cell / ring_columns, column = cell % ring_columns;
            const double start = sector_angle * (sector + static_cast<double>(column) / ring_columns);
            AnnularSector shape{inner + row * row_height + radial_margin, inner + (row + 1) * row_height - radial_margin,
                                start + angular_margin, start + sector_angle / ring_columns - angular_margin};
            cells.push_back(Cell{shape, Design::ring, cell == ring_sync_cell ? CellRole::sync : CellRole::data, symbol,
                                 cell, ring_cell_engraved(symbol, codeword[static_cast<std::size_t>(symbol)], cell)});
        }
    }
    for (const double* finder : {geometry.ring_inner_finder_um, geometry.ring_outer_finder_um})
        cells.push_back(Cell{AnnularSector{finder[0], finder[1], 0, 2 * std::numbers::pi}, Design::ring,
                             CellRole::finder, -1, -1, true});
    return cells;
}

namespace {

// Sync agreement for every rotation: the mean product of observed soft sync values
// and the expected +-1, over both tracks.
std::array<double, ring_sectors_per_track> sync_agreements(const RingObservation& observation) {
    std::array<double, ring_sectors_per_track> agreement{};
    for (int rotation = 0; rotation < ring_sectors_per_track; ++rotation) {
        double sum = 0;
        for (int symbol = 0; symbol < ring_symbols; ++symbol) {
            const int track = symbol / ring_sectors_per_track;
            const int engraved_sector = (symbol % ring_sectors_per_track + rotation) % ring_sectors_per_track;
            const double expected = ring_sync_bit(track * ring_sectors_per_track + engraved_sector) ? 1.0 : -1.0;
            sum += expected * observation.cells[static_cast<std::size_t>(symbol)][ring_sync_cell];
        }
        agreement[static_cast<std::size_t>(rotation)] = sum / ring_symbols;
    }
    return agreement;
}

} // namespace

double ring_sync_agreement(const RingObservation& observation) {
    const auto agreement = sync_agreements(observation);
    return *std::max_element(agreement.begin(), agreement.end());
}

RingDecoding decode_ring(const RingObservation& observation, const RingReadOptions& options) {
    RingDecoding result;
    const auto agreement = sync_agreements(observation);
    std::array<int, ring_sectors_per_track> order{};
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return agreement[static_cast<std::size_t>(a)] > agreement[static_cast<std::size_t>(b)];
    });
    result.sync_agreement = agreement[static_cast<std::size_t>(order[0])];
    result.sync_margin = result.sync_agreement - agreement[static_cast<std::size_t>(order[1])];
    if (result.sync_agreement <= 0) {
        result.failure = "no sync pattern visible";
        return result;
    }

    const ReedSolomon& code = ring_code();
    const int attempts = std::min(options.max_rotation_attempts, ring_sectors_per_track);
    for (int attempt = 0; attempt < attempts; ++attempt) {
        const int rotation = order[static_cast<std::size_t>(attempt)];
        if (agreement[static_cast<std::size_t>(rotation)] <= 0) break;
        // Symbols in codeword order with their reliability: the least sure cell's |soft value|.
        std::vector<std::uint8_t> received(ring_symbols, 0);
        std::vector<float> reliability(ring_symbols, 0.0f);
        for (int symbol = 0; symbol < ring_symbols; ++symbol) {
            const int track = symbol / ring_sectors_per_track;
            const int engraved = track * ring_sectors_per_track +
                                 (symbol % ring_sectors_per_track + rotation) % ring_sectors_per_track;
            const auto& soft = observation.cells[static_cast<std::size_t>(symbol)];
            std::uint8_t byte = 0;
            float least = 1.0f;
            for (int cell = 0; cell < ring_cells_per_symbol; ++cell) {
                if (cell == ring_sync_cell) continue;
                const float value = soft[static_cast<std::size_t>(cell)];
                least = std::isnan(value) ? 0.0f : std::min(least, std::fabs(value));
                if (value > 0) byte = static_cast<std::uint8_t>(byte | (1U << data_bit_of_cell(cell)));
                if (least == 0.0f) break;
            }
            reliability[static_cast<std::size_t>(engraved)] = least;
            received[static_cast<std::size_t>(engraved)] = ring_whiten(engraved, byte);
        }
        std::vector<int> by_reliability(ring_symbols);
        std::iota(by_reliability.begin(), by_reliability.end(), 0);
        std::stable_sort(by_reliability.begin(), by_reliability.end(), [&](int a, int b) {
            return reliability[static_cast<std::size_t>(a)] < reliability[static_cast<std::size_t>(b)];
        });
        const int unsure = static_cast<int>(std::count_if(reliability.begin(), reliability.end(),
                                                          [&](float value) { return value < options.erasure_threshold; }));
        // Generalised minimum-distance decoding (Forney): first erase the unsure symbols;
        // failing that, erase the least reliable 33, 31, ... so that errors among the
        // more reliable ones become correctable. Each trial is one more decode attempt.
        // A trial must cut where reliability really drops: among equally sure symbols an
        // arbitrary choice could pick out another stamp's sectors (a mixed impression).
        const auto cuts_cleanly = [&](int count) {
            return count == 0 || reliability[static_cast<std::size_t>(by_reliability[static_cast<std::size_t>(count - 1)])] <
                                     reliability[static_cast<std::size_t>(by_reliability[static_cast<std::size_t>(count)])];
        };
        std::vector<int> erasure_counts;
        if (unsure <= ring_parity_symbols) erasure_counts.push_back(unsure);
        for (int trial = 0; trial < options.extra_erasure_trials; ++trial) {
            const int count = ring_parity_symbols - 2 * trial;
            if (count >= 0 && count != unsure && cuts_cleanly(count)) erasure_counts.push_back(count);
        }
        if (erasure_counts.empty()) {
            result.erasures = unsure;
            result.failure = "too many unreadable sectors";
            return result;
        }
        std::optional<ReedSolomon::Decoded> decoded;
        for (const int count : erasure_counts) {
            ++result.attempts;
            std::vector<int> erasures(by_reliability.begin(), by_reliability.begin() + count);
            std::vector<std::uint8_t> trial = received;
            for (const int symbol : erasures) trial[static_cast<std::size_t>(symbol)] = 0;
            auto outcome = code.decode(trial, erasures);
            result.erasures = count;
            if (!outcome.ok) {
                result.failure = unsure > ring_parity_symbols ? "too many unreadable sectors" : "beyond the error-correction capacity";
                continue;
            }
            if (!verify(std::span<const std::uint8_t, protected_payload_bytes>(outcome.codeword.data(), protected_payload_bytes))) {
                result.failure = "integrity check failed";
                continue;
            }
            decoded = std::move(outcome);
            break;
        }
        if (!decoded) continue;
        const auto payload = verify(std::span<const std::uint8_t, protected_payload_bytes>(
            decoded->codeword.data(), protected_payload_bytes));
        auto fields = unpack_payload(*payload);
        if (!fields) {
            result.failure = "payload not of a known format";
            continue;
        }
        result.status = RingStatus::decoded;
        result.fields = std::move(fields);
        result.rotation_sectors = rotation;
        result.errors = decoded->errors;
        result.unused_capacity = decoded->unused_capacity();
        result.failure.clear();
        return result;
    }
    return result;
}

std::vector<RingLead> ring_leads(const RingObservation& observation, std::size_t max_leads) {
    const auto agreement = sync_agreements(observation);
    std::array<int, ring_sectors_per_track> order{};
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return agreement[static_cast<std::size_t>(a)] > agreement[static_cast<std::size_t>(b)];
    });
    const double best = agreement[static_cast<std::size_t>(order[0])], second = agreement[static_cast<std::size_t>(order[1])];
    // The rotation must stand out from the rest by more than the sync sequences' own
    // off-peak correlation (4/48) could give it.
    if (best <= 0 || best - second < 4.0 / ring_symbols) return {};
    const int rotation = order[0];
    constexpr float least_confidence = 0.2f;  // as the decoder's erasure threshold
    struct UsedCell {
        std::size_t byte;
        int bit;
        float confidence;
    };
    std::vector<std::uint8_t> whitened;
    std::vector<UsedCell> used;
    for (int engraved = 0; engraved < static_cast<int>(payload_bytes); ++engraved) {
        const int observed = ((engraved - rotation) % ring_sectors_per_track + ring_sectors_per_track) % ring_sectors_per_track;
        const auto& soft = observation.cells[static_cast<std::size_t>(observed)];
        std::uint8_t byte = 0;
        std::vector<UsedCell> cells_here;
        for (int cell = 0; cell < ring_cells_per_symbol; ++cell) {
            if (cell == ring_sync_cell) continue;
            const float value = soft[static_cast<std::size_t>(cell)];
            if (!(std::fabs(value) >= least_confidence)) break;
            if (value > 0) byte = static_cast<std::uint8_t>(byte | (1U << data_bit_of_cell(cell)));
            cells_here.push_back({static_cast<std::size_t>(engraved), data_bit_of_cell(cell), std::fabs(value)});
        }
        if (cells_here.size() != ring_cells_per_symbol - 1) break;  // only a whole run from sector 0 says anything
        whitened.push_back(byte);
        used.insert(used.end(), cells_here.begin(), cells_here.end());
    }
    if (whitened.size() < 3) return {};
    // Up to three of the least sure cells (those below 0.7) read either way.
    std::sort(used.begin(), used.end(), [](const UsedCell& a, const UsedCell& b) { return a.confidence < b.confidence; });
    std::size_t branching = 0;
    while (branching < 3 && branching < used.size() && used[branching].confidence < 0.7f) ++branching;
    std::vector<RingLead> leads;
    double total = 0;
    for (std::size_t flips = 0; flips < (std::size_t{1} << branching); ++flips) {
        std::vector<std::uint8_t> bytes = whitened;
        double weight = 1;
        for (std::size_t i = 0; i < branching; ++i) {
            if (!((flips >> i) & 1U)) continue;
            bytes[used[i].byte] = static_cast<std::uint8_t>(bytes[used[i].byte] ^ (1U << used[i].bit));
            weight *= (1 - used[i].confidence) / (1 + used[i].confidence);
        }
        for (std::size_t index = 0; index < bytes.size(); ++index)
            bytes[index] = ring_whiten(static_cast<int>(index), bytes[index]);
        const auto prefix = read_payload_prefix(bytes);
        if (!prefix) continue;
        total += weight;
        const auto same = std::find_if(leads.begin(), leads.end(), [&](const RingLead& lead) {
            return lead.manufacturer_code == prefix->manufacturer_code && lead.model_code == prefix->model_code &&
                   lead.serial_pattern == prefix->serial_pattern;
        });
        if (same != leads.end()) same->likelihood += weight;
        else leads.push_back({prefix->manufacturer_code, prefix->model_code, prefix->serial_pattern, weight,
                              static_cast<int>(bytes.size())});
    }
    for (RingLead& lead : leads) lead.likelihood /= total;
    std::sort(leads.begin(), leads.end(), [](const RingLead& a, const RingLead& b) { return a.likelihood > b.likelihood; });
    if (leads.size() > max_leads) leads.resize(max_leads);
    return leads;
}

RingObservation ideal_ring_observation(const std::vector<Cell>& cells, int rotation_sectors) {
    RingObservation observation;
    for (const Cell& cell : cells) {
        if (cell.design != Design::ring || cell.symbol < 0) continue;
        const int track = cell.symbol / ring_sectors_per_track;
        const int sector = cell.symbol % ring_sectors_per_track;
        const int observed_sector =
            ((sector - rotation_sectors) % ring_sectors_per_track + ring_sectors_per_track) % ring_sectors_per_track;
        observation.cells[static_cast<std::size_t>(track * ring_sectors_per_track + observed_sector)]
                         [static_cast<std::size_t>(cell.bit)] = cell.engraved ? 1.0f : -1.0f;
    }
    return observation;
}

} // namespace microstamp


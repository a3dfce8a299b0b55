#include "evidence/partial_search.hpp"

#include "code/identity.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace microstamp {
namespace {

constexpr double alphabet_size = 37;

struct Weights {
    double match = 0;     // log10 ratio for an agreeing character
    double mismatch = 0;  // log10 ratio for a disagreeing one
};

Weights weights(const PartialMatchModel& model) {
    const double e = model.character_error_rate;
    if (!(e > 0 && e < 1)) throw InputError("character error rate must lie strictly between 0 and 1");
    return {std::log10((1 - e) * alphabet_size), std::log10(e / (alphabet_size - 1) * alphabet_size)};
}

} // namespace

std::optional<SerialScore> score_serial(std::string_view pattern, std::string_view serial,
                                        const PartialMatchModel& model) {
    if (pattern.size() != serial.size()) return std::nullopt;
    const Weights w = weights(model);
    SerialScore score;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '?' || serial[i] == '?') continue;
        if (pattern[i] == serial[i]) ++score.matched;
        else ++score.mismatched;
    }
    score.log10_likelihood_ratio = score.matched * w.match + score.mismatched * w.mismatch;
    return score;
}

void SerialIndex::add(std::int64_t exhibit_id, std::uint16_t manufacturer_code, std::uint16_t model_code,
                      std::string_view serial) {
    Entry entry;
    entry.exhibit_id = exhibit_id;
    entry.manufacturer_code = manufacturer_code;
    entry.model_code = model_code;
    entry.length = static_cast<std::uint8_t>(std::min<std::size_t>(serial.size(), sizeof entry.serial));
    std::copy_n(serial.begin(), entry.length, entry.serial);
    entries_.push_back(entry);
}

std::vector<SerialIndex::Ranked> SerialIndex::rank(std::string_view pattern, const PartialMatchModel& model,
                                                   std::size_t limit, std::optional<std::uint16_t> manufacturer_code,
                                                   std::optional<std::uint16_t> model_code) const {
    const Weights w = weights(model);
    // Only read positions matter; gather them once so the inner loop is short.
    std::vector<std::uint8_t> positions;
    for (std::size_t i = 0; i < pattern.size(); ++i)
        if (pattern[i] != '?') positions.push_back(static_cast<std::uint8_t>(i));
    struct Scored {
        double score;
        std::size_t entry;
    };
    std::vector<Scored> scored;
    for (std::size_t index = 0; index < entries_.size(); ++index) {
        const Entry& entry = entries_[index];
        if (entry.length != pattern.size()) continue;
        if (manufacturer_code && entry.manufacturer_code != *manufacturer_code) continue;
        if (model_code && entry.model_code != *model_code) continue;
        int matched = 0, mismatched = 0;
        for (const auto position : positions) {
            const char stored = entry.serial[position];
            if (stored == '?') continue;
            if (stored == pattern[position]) ++matched;
            else ++mismatched;
        }
        const double score = matched * w.match + mismatched * w.mismatch;
        if (score > 0) scored.push_back({score, index});
    }
    auto better = [&](const Scored& a, const Scored& b) {
        if (a.score != b.score) return a.score > b.score;
        return entries_[a.entry].exhibit_id < entries_[b.entry].exhibit_id;
    };
    // An exhibit with several readings appears once; take extra rows so duplicates do
    // not leave the list short, and fall back to a full sort when they still do.
    std::vector<Ranked> ranked;
    std::unordered_set<std::int64_t> seen;
    for (std::size_t window = std::min(scored.size(), limit * 4);; window = scored.size()) {
        std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(window), scored.end(), better);
        ranked.clear();
        seen.clear();
        for (std::size_t i = 0; i < window && ranked.size() < limit; ++i) {
            const Entry& entry = entries_[scored[i].entry];
            if (!seen.insert(entry.exhibit_id).second) continue;
            const std::string serial(entry.serial, entry.length);
            ranked.push_back({entry.exhibit_id, serial, entry.manufacturer_code, entry.model_code,
                              *score_serial(pattern, serial, model)});
        }
        if (ranked.size() == limit || window == scored.size()) break;
    }
    return ranked;
}

} // namespace microstamp

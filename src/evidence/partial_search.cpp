#include "evidence/partial_search.hpp"

#include "code/identity.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
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
                      std::string_view serial, std::int64_t reading_id) {
    if (serial.empty() || serial.size() > 255)
        throw InputError("a stored serial must be 1 to 255 characters, not " + std::to_string(serial.size()));
    if (by_length_.size() <= serial.size()) by_length_.resize(serial.size() + 1);
    SameLength& group = by_length_[serial.size()];
    if (group.columns.empty()) group.columns.resize(serial.size());
    group.exhibit_ids.push_back(exhibit_id);
    group.reading_ids.push_back(reading_id);
    group.manufacturer_codes.push_back(manufacturer_code);
    group.model_codes.push_back(model_code);
    for (std::size_t position = 0; position < serial.size(); ++position) group.columns[position].push_back(serial[position]);
    if (serial.find('?') != std::string_view::npos) group.unread_entries.push_back(group.exhibit_ids.size() - 1);
    lengths_in_order_.push_back(static_cast<std::uint8_t>(serial.size()));
}

void SerialIndex::truncate(std::size_t size) {
    while (lengths_in_order_.size() > size) {
        SameLength& group = by_length_[lengths_in_order_.back()];
        lengths_in_order_.pop_back();
        const std::size_t last = group.exhibit_ids.size() - 1;
        if (!group.unread_entries.empty() && group.unread_entries.back() == last) group.unread_entries.pop_back();
        group.exhibit_ids.pop_back();
        group.reading_ids.pop_back();
        group.manufacturer_codes.pop_back();
        group.model_codes.pop_back();
        for (auto& column : group.columns) column.pop_back();
    }
}

namespace {

// An entry's agreement with a pattern: positions read on both sides that agree, and
// positions the pattern reads that the stored serial leaves unread. Both are below 16
// (serials are at most 12 characters), so one byte holds the pair.
constexpr std::uint8_t filtered_out = 0xFF;

struct Agreement {
    std::vector<std::uint8_t> keys;          // per entry, its agreement key (or filtered_out)
    std::array<std::size_t, 256> histogram{};  // entries per key
};

// Per entry, the agreement key of the pattern's read positions, and how many entries have
// each key. Entries go by blocks that stay in the first-level cache while every read
// position is compared, so each column is read once and the counts never leave the cache.
Agreement agreement(std::string_view pattern, const std::vector<std::vector<char>>& columns, bool any_unread,
                    std::span<const std::uint16_t> manufacturer_codes, std::span<const std::uint16_t> model_codes,
                    std::optional<std::uint16_t> manufacturer_code, std::optional<std::uint16_t> model_code) {
    constexpr std::size_t block = 4096;
    const std::size_t count = manufacturer_codes.size();
    Agreement result;
    result.keys.resize(count);
    std::array<std::uint8_t, block> matched{}, unread{};
    // Four histograms, summed at the end: runs of one key would otherwise wait on one counter.
    std::array<std::array<std::size_t, 256>, 4> histograms{};
    for (std::size_t start = 0; start < count; start += block) {
        const std::size_t size = std::min(block, count - start);
        std::fill_n(matched.begin(), size, std::uint8_t{0});
        std::fill_n(unread.begin(), size, std::uint8_t{0});
        for (std::size_t position = 0; position < pattern.size(); ++position) {
            const char wanted = pattern[position];
            if (wanted == '?') continue;
            const char* column = columns[position].data() + start;
            for (std::size_t i = 0; i < size; ++i) matched[i] = static_cast<std::uint8_t>(matched[i] + (column[i] == wanted));
            if (any_unread)
                for (std::size_t i = 0; i < size; ++i) unread[i] = static_cast<std::uint8_t>(unread[i] + (column[i] == '?'));
        }
        std::uint8_t* keys = result.keys.data() + start;
        for (std::size_t i = 0; i < size; ++i) keys[i] = static_cast<std::uint8_t>(matched[i] << 4 | unread[i]);
        if (manufacturer_code) {
            const std::uint16_t* codes = manufacturer_codes.data() + start;
            for (std::size_t i = 0; i < size; ++i) keys[i] = codes[i] == *manufacturer_code ? keys[i] : filtered_out;
        }
        if (model_code) {
            const std::uint16_t* codes = model_codes.data() + start;
            for (std::size_t i = 0; i < size; ++i) keys[i] = codes[i] == *model_code ? keys[i] : filtered_out;
        }
        std::size_t i = 0;
        for (; i + 4 <= size; i += 4) {
            ++histograms[0][keys[i]];
            ++histograms[1][keys[i + 1]];
            ++histograms[2][keys[i + 2]];
            ++histograms[3][keys[i + 3]];
        }
        for (; i < size; ++i) ++histograms[0][keys[i]];
    }
    for (std::size_t key = 0; key < 256; ++key)
        result.histogram[key] = histograms[0][key] + histograms[1][key] + histograms[2][key] + histograms[3][key];
    return result;
}

} // namespace

std::vector<SerialIndex::Ranked> SerialIndex::rank(std::string_view pattern, const PartialMatchModel& model,
                                                   std::size_t limit, std::optional<std::uint16_t> manufacturer_code,
                                                   std::optional<std::uint16_t> model_code) const {
    const Weights w = weights(model);
    if (limit == 0 || pattern.size() >= by_length_.size()) return {};
    const SameLength& group = by_length_[pattern.size()];
    if (group.exhibit_ids.empty()) return {};
    const int read_positions = static_cast<int>(std::count_if(pattern.begin(), pattern.end(), [](char c) { return c != '?'; }));
    const auto [keys, histogram] = agreement(pattern, group.columns, !group.unread_entries.empty(),
                                             group.manufacturer_codes, group.model_codes, manufacturer_code, model_code);

    // The ratio depends on the entry only through its key, so the keys' histogram says how
    // many entries reach each ratio, and the best are gathered without sorting them all.
    const auto key_score = [&](int key) {
        const int matched = key >> 4, unread = key & 15;
        return matched * w.match + (read_positions - matched - unread) * w.mismatch;
    };
    std::vector<int> ratio_keys;  // keys whose ratio exceeds 1, best first
    for (int key = 0; key < 255; ++key)
        if (histogram[static_cast<std::size_t>(key)] && key_score(key) > 0) ratio_keys.push_back(key);
    std::sort(ratio_keys.begin(), ratio_keys.end(), [&](int a, int b) { return key_score(a) > key_score(b); });

    // Take whole score levels, best first, until they hold enough entries; an exhibit read
    // several times appears once, so widen while the distinct exhibits fall short.
    std::vector<Ranked> ranked;
    if (ratio_keys.empty()) return ranked;
    std::array<bool, 256> taken{};
    std::size_t levels = 0, gathered = 0, wanted = limit * 4;
    for (;;) {
        while (levels < ratio_keys.size() && gathered < wanted) {
            const auto key = static_cast<std::size_t>(ratio_keys[levels++]);
            taken[key] = true;
            gathered += histogram[key];
        }
        std::vector<std::size_t> entries;
        entries.reserve(gathered);
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (taken[keys[i]]) entries.push_back(i);
        std::stable_sort(entries.begin(), entries.end(), [&](std::size_t a, std::size_t b) {
            const double score_a = key_score(keys[a]), score_b = key_score(keys[b]);
            if (score_a != score_b) return score_a > score_b;
            return group.exhibit_ids[a] < group.exhibit_ids[b];
        });
        ranked.clear();
        std::unordered_set<std::int64_t> seen;
        for (const std::size_t entry : entries) {
            if (ranked.size() == limit) break;
            if (!seen.insert(group.exhibit_ids[entry]).second) continue;
            std::string serial(pattern.size(), ' ');
            for (std::size_t position = 0; position < serial.size(); ++position)
                serial[position] = group.columns[position][entry];
            ranked.push_back({group.exhibit_ids[entry], group.reading_ids[entry], serial, group.manufacturer_codes[entry],
                              group.model_codes[entry], *score_serial(pattern, serial, model)});
        }
        if (ranked.size() == limit || levels == ratio_keys.size()) break;
        wanted = std::numeric_limits<std::size_t>::max();  // short of distinct exhibits: the next pass takes every level
    }
    return ranked;
}

} // namespace microstamp

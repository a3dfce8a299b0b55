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
    if (serial.empty() || serial.size() > 15)
        throw InputError("a stored serial must be 1 to 15 characters, not " + std::to_string(serial.size()));
    if (group_in_order_.size() >= std::numeric_limits<std::uint32_t>::max())
        throw InputError("the serial index holds 4,294,967,295 readings at most");
    const bool with_unread = serial.find('?') != std::string_view::npos;
    const auto [found, added] =
        group_of_.try_emplace({serial.size(), manufacturer_code, model_code, with_unread}, groups_.size());
    if (added) {
        Group group;
        group.length = serial.size();
        group.manufacturer_code = manufacturer_code;
        group.model_code = model_code;
        group.with_unread = with_unread;
        group.columns.resize(serial.size());
        groups_.push_back(std::move(group));
    }
    Group& group = groups_[found->second];
    group.exhibit_ids.push_back(exhibit_id);
    group.reading_ids.push_back(reading_id);
    group.sequence.push_back(static_cast<std::uint32_t>(group_in_order_.size()));
    for (std::size_t position = 0; position < serial.size(); ++position) group.columns[position].push_back(serial[position]);
    group_in_order_.push_back(static_cast<std::uint32_t>(found->second));
}

void SerialIndex::truncate(std::size_t size) {
    while (group_in_order_.size() > size) {
        Group& group = groups_[group_in_order_.back()];
        group_in_order_.pop_back();
        group.exhibit_ids.pop_back();
        group.reading_ids.pop_back();
        group.sequence.pop_back();
        for (auto& column : group.columns) column.pop_back();
    }
}

namespace {

// Entries are compared by blocks that stay in the first-level cache while every read
// position is compared, so each column is read once; a chunk's largest key lets the
// gathering below skip chunks that cannot hold the key it looks for.
constexpr std::size_t block_size = 4096, chunk_size = 64;

// An entry's agreement with a pattern, as one byte: positions read on both sides that
// agree (high four bits) and positions the pattern reads that the stored serial leaves
// unread (low four bits; serials are at most 15 characters).
struct Agreement {
    std::vector<std::uint8_t> keys;           // per entry
    std::vector<std::uint8_t> chunk_largest;  // per chunk of chunk_size entries, its largest key
};

Agreement agreement(std::string_view pattern, const SerialIndex::Group& group) {
    const std::size_t count = group.exhibit_ids.size();
    Agreement result;
    result.keys.resize(count);
    result.chunk_largest.resize((count + chunk_size - 1) / chunk_size);
    std::array<std::uint8_t, block_size> matched{}, unread{};
    for (std::size_t start = 0; start < count; start += block_size) {
        const std::size_t size = std::min(block_size, count - start);
        std::fill_n(matched.begin(), size, std::uint8_t{0});
        std::fill_n(unread.begin(), size, std::uint8_t{0});
        for (std::size_t position = 0; position < pattern.size(); ++position) {
            const char wanted = pattern[position];
            if (wanted == '?') continue;
            const char* column = group.columns[position].data() + start;
            for (std::size_t i = 0; i < size; ++i) matched[i] = static_cast<std::uint8_t>(matched[i] + (column[i] == wanted));
            if (group.with_unread)
                for (std::size_t i = 0; i < size; ++i) unread[i] = static_cast<std::uint8_t>(unread[i] + (column[i] == '?'));
        }
        std::uint8_t* keys = result.keys.data() + start;
        for (std::size_t i = 0; i < size; ++i) keys[i] = static_cast<std::uint8_t>(matched[i] << 4 | unread[i]);
        for (std::size_t chunk = 0; chunk * chunk_size < size; ++chunk) {
            std::uint8_t largest = 0;
            const std::size_t end = std::min(size, (chunk + 1) * chunk_size);
            for (std::size_t i = chunk * chunk_size; i < end; ++i) largest = std::max(largest, keys[i]);
            result.chunk_largest[(start + chunk * chunk_size) / chunk_size] = largest;
        }
    }
    return result;
}

} // namespace

std::vector<SerialIndex::Ranked> SerialIndex::rank(std::string_view pattern, const PartialMatchModel& model,
                                                   std::size_t limit, std::optional<std::uint16_t> manufacturer_code,
                                                   std::optional<std::uint16_t> model_code) const {
    const Weights w = weights(model);
    std::vector<Ranked> ranked;
    if (limit == 0) return ranked;
    std::vector<const Group*> groups;
    std::vector<Agreement> agreements;
    bool any_unread = false;
    for (const Group& group : groups_) {
        if (group.length != pattern.size() || group.exhibit_ids.empty()) continue;
        if ((manufacturer_code && group.manufacturer_code != *manufacturer_code) ||
            (model_code && group.model_code != *model_code))
            continue;
        groups.push_back(&group);
        agreements.push_back(agreement(pattern, group));
        any_unread = any_unread || group.with_unread;
    }
    if (groups.empty()) return ranked;

    // The ratio depends on an entry only through its key: take the keys whose ratio exceeds
    // 1, best first, gathering the entries of each until there are enough.
    const int read_positions = static_cast<int>(std::count_if(pattern.begin(), pattern.end(), [](char c) { return c != '?'; }));
    const auto key_score = [&](int key) {
        const int matched = key >> 4, unread = key & 15;
        return matched * w.match + (read_positions - matched - unread) * w.mismatch;
    };
    std::vector<int> levels;
    for (int matched = 0; matched <= read_positions; ++matched)
        for (int unread = 0; unread <= (any_unread ? read_positions - matched : 0); ++unread)
            if (key_score(matched << 4 | unread) > 0) levels.push_back(matched << 4 | unread);
    std::sort(levels.begin(), levels.end(), [&](int a, int b) { return key_score(a) > key_score(b); });

    struct Found {
        double score;
        std::size_t group, entry;
    };
    std::vector<Found> found;
    const auto gather = [&](int level) {
        const auto key = static_cast<std::uint8_t>(level);
        for (std::size_t g = 0; g < groups.size(); ++g) {
            if ((key & 15) && !groups[g]->with_unread) continue;
            const Agreement& agreement = agreements[g];
            for (std::size_t chunk = 0; chunk < agreement.chunk_largest.size(); ++chunk) {
                if (agreement.chunk_largest[chunk] < key) continue;
                const std::size_t end = std::min(agreement.keys.size(), (chunk + 1) * chunk_size);
                for (std::size_t entry = chunk * chunk_size; entry < end; ++entry)
                    if (agreement.keys[entry] == key) found.push_back({key_score(level), g, entry});
            }
        }
    };
    // Ranks what was gathered: true once it holds `limit` distinct exhibits.
    const auto rank_found = [&] {
        std::sort(found.begin(), found.end(), [&](const Found& a, const Found& b) {
            if (a.score != b.score) return a.score > b.score;
            const Group &first = *groups[a.group], &second = *groups[b.group];
            if (first.exhibit_ids[a.entry] != second.exhibit_ids[b.entry])
                return first.exhibit_ids[a.entry] < second.exhibit_ids[b.entry];
            return first.sequence[a.entry] < second.sequence[b.entry];
        });
        ranked.clear();
        std::unordered_set<std::int64_t> seen;
        for (const Found& item : found) {
            if (ranked.size() == limit) break;
            const Group& group = *groups[item.group];
            if (!seen.insert(group.exhibit_ids[item.entry]).second) continue;
            std::string serial(pattern.size(), ' ');
            for (std::size_t position = 0; position < serial.size(); ++position)
                serial[position] = group.columns[position][item.entry];
            ranked.push_back({group.exhibit_ids[item.entry], group.reading_ids[item.entry], serial,
                              group.manufacturer_code, group.model_code, *score_serial(pattern, serial, model)});
        }
        return ranked.size() == limit;
    };
    // An exhibit read several times appears once: once enough entries are gathered, a
    // ranking still short of distinct exhibits gathers every remaining level.
    std::size_t wanted = limit * 4;
    for (const int level : levels) {
        gather(level);
        if (found.size() >= wanted) {
            if (rank_found()) return ranked;
            wanted = std::numeric_limits<std::size_t>::max();
        }
    }
    rank_found();
    return ranked;
}

} // namespace microstamp

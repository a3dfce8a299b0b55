#pragma once
// Ranking stored serials against a partial reading, the way IBIS hands an examiner a
// ranked candidate list to confirm.
//
// Model (per-character, independent): a reader reports each engraved character either
// as unreadable ('?', no information) or as a character that is right with probability
// 1 - e and otherwise any of the other A - 1 characters alike (A = 37, the serial
// alphabet). For a stored serial s and a pattern p of the same length, the likelihood
// ratio of "p was read from the gun with serial s" against "p was read from a random
// gun" (whose characters are uniform over the alphabet) is the product over read
// positions of
//     (1 - e) * A        where p[i] == s[i]
//     e / (A - 1) * A    where p[i] != s[i]
// Unreadable positions, on either side, contribute 1. Serials of another length get
// ratio 0 (the stamp's length is read reliably from its layout). The default e = 0.05
// is *assumed* (no published per-character error rate for worn microstamps): set it
// from a study of the reader.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace microstamp {

struct PartialMatchModel {
    double character_error_rate = 0.05;  // e above; must lie in (0, 1)
};

struct SerialScore {
    double log10_likelihood_ratio = 0;
    int matched = 0;     // read positions that agree
    int mismatched = 0;  // read positions that disagree
};

// nullopt when the lengths differ.
std::optional<SerialScore> score_serial(std::string_view pattern, std::string_view serial,
                                        const PartialMatchModel& model);

// The stored side, kept in memory for speed: one entry per reading with a serial.
// Serials are kept in groups of one length, make and model, by column (one byte array
// per character position), so that ranking a pattern is a few passes of byte compares
// over contiguous memory, which the compiler vectorises, instead of a walk over a
// million records; a make or model named in the query skips the other groups whole.
class SerialIndex {
public:
    struct Ranked {
        std::int64_t exhibit_id = 0;
        std::int64_t reading_id = 0;  // the reading that ranked (0 where none was given)
        std::string serial;
        std::uint16_t manufacturer_code = 0;
        std::uint16_t model_code = 0;
        SerialScore score;
    };

    void add(std::int64_t exhibit_id, std::uint16_t manufacturer_code, std::uint16_t model_code,
             std::string_view serial, std::int64_t reading_id = 0);
    std::size_t size() const { return group_in_order_.size(); }
    // Forgets the entries added after the first `size` (those of a rolled-back transaction).
    void truncate(std::size_t size);

    // The best `limit` exhibits (each once, by its best reading) whose ratio exceeds 1,
    // best first; ties by exhibit id, then by the order the readings were added. Optional
    // codes restrict to one make or model.
    std::vector<Ranked> rank(std::string_view pattern, const PartialMatchModel& model, std::size_t limit,
                             std::optional<std::uint16_t> manufacturer_code = std::nullopt,
                             std::optional<std::uint16_t> model_code = std::nullopt) const;

    // The serials of one length, make and model: either all read in full, or all holding
    // a '?' (partial readings), so that the full ones, nearly all of a store, are ranked
    // without counting unread characters.
    struct Group {
        std::size_t length = 0;
        std::uint16_t manufacturer_code = 0, model_code = 0;
        bool with_unread = false;
        std::vector<std::int64_t> exhibit_ids;
        std::vector<std::int64_t> reading_ids;
        std::vector<std::uint32_t> sequence;     // the order added, over the whole index
        std::vector<std::vector<char>> columns;  // columns[position][entry]
    };

private:
    std::vector<Group> groups_;
    std::map<std::tuple<std::size_t, std::uint16_t, std::uint16_t, bool>, std::size_t> group_of_;
    std::vector<std::uint32_t> group_in_order_;  // each entry's group, in the order added
};

} // namespace microstamp

// The pure parts: URLs, readings, the partial-match model, trace request export.

#include "code/identity.hpp"
#include "evidence/partial_search.hpp"
#include "evidence/reading.hpp"
#include "evidence/store_url.hpp"
#include "evidence/trace_request.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>

namespace microstamp {
namespace {

TEST(StoreUrlParsing, AcceptsBothFormsAndHidesPasswords) {
    const StoreLocation sqlite = parse_store_url("sqlite:/var/lab/evidence.db");
    EXPECT_EQ(sqlite.backend, database::Backend::sqlite);
    EXPECT_EQ(sqlite.target, "/var/lab/evidence.db");
    const StoreLocation postgres = parse_store_url("postgresql://lab:s3cret@db.lab:5432/evidence");
    EXPECT_EQ(postgres.backend, database::Backend::postgresql);
    EXPECT_EQ(postgres.display, "postgresql://lab:***@db.lab:5432/evidence");
    EXPECT_EQ(postgres.target, "postgresql://lab:s3cret@db.lab:5432/evidence");
    EXPECT_EQ(parse_store_url("postgres:///evidence?host=/tmp").backend, database::Backend::postgresql);
    for (const char* bad : {"", "evidence.db", "sqlite:", "sqlite://x", "http://x", "postgresql://h:x/db"})
        EXPECT_THROW(parse_store_url(bad), InputError) << bad;
}

TEST(Readings, ParsedFieldsAndRefusals) {
    const NewReading reading = parse_reading(
        R"({"reader_version":"0.3","status":"partial","identity":{"manufacturer_code":412,"model_code":7,"serial":"58a-1?4233"}})");
    EXPECT_EQ(reading.reader_version, "0.3");
    EXPECT_EQ(reading.serial, "58A-1?4233");
    EXPECT_EQ(parse_reading(R"({"status":"failed"})", "cli 1").status, "failed");
    EXPECT_THROW(parse_reading("{", "v"), InputError);
    EXPECT_THROW(parse_reading(R"({"status":"decoded"})", "v"), InputError);
    EXPECT_THROW(parse_reading(R"({"status":"failed"})"), InputError);  // no reader version
    EXPECT_THROW(parse_reading(R"({"status":"decoded","identity":{"manufacturer_code":1,"model_code":1,"serial":"A?"}})", "v"),
                 InputError);
    EXPECT_THROW(normalise_serial_pattern("AB*"), InputError);
}

TEST(PartialMatch, LikelihoodRatioFollowsTheDocumentedModel) {
    const PartialMatchModel model{0.05};
    const auto exact = score_serial("58A-1?42??", "58A-104233", model);
    ASSERT_TRUE(exact);
    EXPECT_EQ(exact->matched, 7);
    EXPECT_EQ(exact->mismatched, 0);
    EXPECT_NEAR(exact->log10_likelihood_ratio, 7 * std::log10(0.95 * 37), 1e-9);
    const auto one_off = score_serial("58A-1?42??", "58A-194233", model);
    EXPECT_EQ(one_off->mismatched, 0);
    const auto wrong = score_serial("58A-1?42??", "58B-104233", model);
    EXPECT_EQ(wrong->mismatched, 1);
    EXPECT_NEAR(wrong->log10_likelihood_ratio, 6 * std::log10(0.95 * 37) + std::log10(0.05 / 36 * 37), 1e-9);
    EXPECT_FALSE(score_serial("58A-1?42??", "58A-10423", model));
}

TEST(PartialMatch, IndexRanksBestFirstOncePerExhibitAndFilters) {
    SerialIndex index;
    index.add(1, 412, 7, "58A-104233");
    index.add(2, 412, 7, "58A-904233");
    index.add(2, 412, 7, "58A-104299");  // exhibit 2 read twice: listed once, by its best reading
    index.add(3, 999, 7, "58A-104233");
    index.add(4, 412, 7, "ZZZ-ZZZZZZ");
    const auto ranked = index.rank("58A-1?42??", {}, 10);
    ASSERT_EQ(ranked.size(), 3u);
    EXPECT_EQ(ranked[0].exhibit_id, 1);
    EXPECT_EQ(ranked[1].exhibit_id, 2);
    EXPECT_EQ(ranked[2].exhibit_id, 3);
    EXPECT_EQ(index.rank("58A-1?42??", {}, 10, 412).size(), 2u);
    EXPECT_EQ(index.rank("58A-1?42??", {}, 1).size(), 1u);
}

// The ranking by column and histogram against the plain definition: score every stored
// reading, keep each exhibit's best (the earliest of equals), order by ratio then exhibit.
std::vector<SerialIndex::Ranked> rank_by_definition(
    const std::vector<std::tuple<std::int64_t, std::uint16_t, std::string>>& stored, std::string_view pattern,
    std::size_t limit, std::optional<std::uint16_t> manufacturer_code) {
    std::vector<SerialIndex::Ranked> best;
    for (const auto& [exhibit, manufacturer, serial] : stored) {
        if (manufacturer_code && manufacturer != *manufacturer_code) continue;
        const auto score = score_serial(pattern, serial, {});
        if (!score || !(score->log10_likelihood_ratio > 0)) continue;
        auto same = std::find_if(best.begin(), best.end(), [&](const auto& r) { return r.exhibit_id == exhibit; });
        if (same == best.end()) best.push_back({exhibit, 0, serial, manufacturer, 7, *score});
        else if (score->log10_likelihood_ratio > same->score.log10_likelihood_ratio) *same = {exhibit, 0, serial, manufacturer, 7, *score};
    }
    std::stable_sort(best.begin(), best.end(), [](const auto& a, const auto& b) {
        if (a.score.log10_likelihood_ratio != b.score.log10_likelihood_ratio)
            return a.score.log10_likelihood_ratio > b.score.log10_likelihood_ratio;
        return a.exhibit_id < b.exhibit_id;
    });
    if (best.size() > limit) best.resize(limit);
    return best;
}

TEST(PartialMatch, IndexRanksAsTheDefinitionDoesOverManyTiesUnreadCharactersAndTruncation) {
    std::mt19937 random(11);
    const std::string_view alphabet = "AB1?";  // few characters: many ties, many matches, stored '?'
    std::vector<std::tuple<std::int64_t, std::uint16_t, std::string>> stored;
    SerialIndex index;
    for (int i = 0; i < 3000; ++i) {
        std::string serial(3 + random() % 3, 'A');
        for (char& character : serial) character = alphabet[random() % alphabet.size()];
        if (serial.find_first_not_of('?') == std::string::npos) serial[0] = 'B';
        const auto exhibit = static_cast<std::int64_t>(random() % 1500 + 1);
        const auto manufacturer = static_cast<std::uint16_t>(random() % 3);
        stored.emplace_back(exhibit, manufacturer, serial);
        index.add(exhibit, manufacturer, 7, serial);
    }
    index.add(9999, 0, 7, "BBBB");  // added, then rolled back
    index.truncate(stored.size());
    ASSERT_EQ(index.size(), stored.size());
    int compared = 0;
    for (const std::string pattern : {"AB1", "A?1B", "?1?", "B1A?A", "1111", "????A"}) {
        for (const std::size_t limit : {1u, 5u, 40u, 5000u}) {
            for (const std::optional<std::uint16_t> manufacturer : {std::optional<std::uint16_t>{}, std::optional<std::uint16_t>{2}}) {
                const auto expected = rank_by_definition(stored, pattern, limit, manufacturer);
                const auto ranked = index.rank(pattern, {}, limit, manufacturer);
                ASSERT_EQ(ranked.size(), expected.size()) << pattern << " limit " << limit;
                for (std::size_t i = 0; i < ranked.size(); ++i) {
                    EXPECT_EQ(ranked[i].exhibit_id, expected[i].exhibit_id) << pattern << " #" << i;
                    EXPECT_EQ(ranked[i].serial, expected[i].serial) << pattern << " #" << i;
                    EXPECT_EQ(ranked[i].manufacturer_code, expected[i].manufacturer_code);
                    EXPECT_DOUBLE_EQ(ranked[i].score.log10_likelihood_ratio, expected[i].score.log10_likelihood_ratio);
                }
                compared += static_cast<int>(ranked.size());
            }
        }
    }
    EXPECT_GT(compared, 2500);  // the patterns do reach deep into the store
}

TEST(TraceRequests, CsvQuotesAndDefusesFormulas) {
    TraceRequest request;
    request.officer = "Okafor, R.";
    request.importer = "=HYPERLINK(\"x\")";
    request.serial = "58A-104233";
    const std::string csv = trace_request_csv(request);
    EXPECT_NE(csv.find("\"Okafor, R.\""), std::string::npos);
    EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"x\"\")\""), std::string::npos);
    EXPECT_EQ(csv.substr(csv.size() - 2), "\r\n");
}

} // namespace
} // namespace microstamp

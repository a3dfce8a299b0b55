// The Store operations the service stands on, on both backends: bearer sessions (open,
// resume, idle lock, lifetime, logout), agencies (a lab's users reach only its cases),
// events recorded for the caller, and the items at the other end of links.

#include "store_fixture.hpp"

#include "evidence/errors.hpp"

#include <fmt/core.h>

namespace microstamp::testing {
namespace {

std::vector<std::pair<std::string, std::string>> outcomes_of(const ScratchStore& scratch, const std::string& action) {
    std::vector<std::pair<std::string, std::string>> rows;
    scratch.raw()->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        for (const auto& row : transaction.query("SELECT outcome, detail FROM audit_log WHERE action = $1 ORDER BY sequence",
                                                 {action}))
            rows.emplace_back(database::as_text(row[0]), database::as_text(row[1]));
    });
    return rows;
}

class SessionsAndAgencies : public StoreTest {
protected:
    // A store opened on the same location with a clock the test moves.
    Store clocked() {
        StoreOptions options = scratch.options();
        options.clock = [this] { return now; };
        return Store::open(scratch.url, options);
    }
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

TEST_P(SessionsAndAgencies, ABearerSessionResumesUntilIdleOrOldOrLoggedOut) {
    Store store_with_clock = clocked();
    const OpenedSession opened = store_with_clock.open_session("avery", examiner_password);
    EXPECT_EQ(opened.token.size(), 64u);
    EXPECT_EQ(opened.session.user(), "avery");
    // Only the token's hash is stored.
    scratch.raw()->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        EXPECT_TRUE(transaction.query("SELECT 1 FROM sessions WHERE token_sha256 = $1", {opened.token}).empty());
        EXPECT_EQ(transaction.query("SELECT 1 FROM sessions WHERE token_sha256 = $1", {hex(sha256(opened.token))}).size(),
                  1u);
    });

    now += std::chrono::minutes(20);
    const Session resumed = store_with_clock.resume_session(opened.token);
    EXPECT_EQ(resumed.user(), "avery");
    EXPECT_EQ(resumed.role(), Role::examiner);
    EXPECT_NO_THROW(store_with_clock.open_case(resumed, {"WA0010000", "24-118", "5212"}));  // a usable session
    now += std::chrono::minutes(29);  // 29 minutes after the last use: still open
    EXPECT_NO_THROW(store_with_clock.resume_session(opened.token));
    now += std::chrono::minutes(31);  // idle longer than 30 minutes: locked
    EXPECT_THROW(store_with_clock.resume_session(opened.token), LogonError);

    // However busy, a session ends 12 hours after logon.
    const OpenedSession busy = store_with_clock.open_session("avery", examiner_password);
    for (int step = 1; step <= 36; ++step) {  // used every 20 minutes for 12 hours
        now += std::chrono::minutes(20);
        EXPECT_NO_THROW(store_with_clock.resume_session(busy.token)) << step;
    }
    now += std::chrono::minutes(1);
    EXPECT_THROW(store_with_clock.resume_session(busy.token), LogonError);

    const OpenedSession short_lived = store_with_clock.open_session("casey", auditor_password);
    store_with_clock.end_session(short_lived.token);
    EXPECT_THROW(store_with_clock.resume_session(short_lived.token), LogonError);
    EXPECT_THROW(store_with_clock.resume_session(std::string(64, 'a')), LogonError);
    EXPECT_THROW(store_with_clock.open_session("avery", "wrong password"), LogonError);

    const auto resumes = outcomes_of(scratch, "session.resume");
    ASSERT_EQ(resumes.size(), 4u);  // idle, too old, logged out, unknown: each refusal audited
    for (const auto& [outcome, detail] : resumes) EXPECT_EQ(outcome, "refused") << detail;
    EXPECT_NE(resumes[0].second.find("idle"), std::string::npos) << resumes[0].second;
    EXPECT_NE(resumes[1].second.find("hours after logon"), std::string::npos) << resumes[1].second;
    EXPECT_NE(resumes[2].second.find("logged out"), std::string::npos) << resumes[2].second;
    EXPECT_NE(resumes[3].second.find("no such session"), std::string::npos) << resumes[3].second;
    const auto logouts = outcomes_of(scratch, "logout");
    ASSERT_EQ(logouts.size(), 1u);
    EXPECT_EQ(logouts[0].first, "success");
    const AuditVerification verification = store_with_clock.verify_audit(store_with_clock.logon("casey", auditor_password));
    EXPECT_TRUE(verification.intact) << verification.problem;
}

TEST_P(SessionsAndAgencies, AUserOfOneAgencyReachesOnlyItsCases) {
    const Session root = admin();
    store->add_user(root, "dana", Role::examiner, "dana pass 123", "OR0260000");
    EXPECT_THROW(store->add_user(root, "erin", Role::examiner, "erin pass 123", "not-an-ori"), InputError);
    const Session any_agency = examiner();  // avery has no agency: every agency
    store->open_case(any_agency, {"WA0010000", "24-118", "5212"});
    const AcquiredScan washington_scan = acquire_scan(small_png(), "wa.png");
    store->add_exhibit(any_agency, {{"WA0010000", "24-118"}, "1", "2024-05-01", "Pine", ""}, {washington_scan},
                       {decoded_reading(412, 7, "58A-104233")});

    const Session dana = store->logon("dana", "dana pass 123");
    EXPECT_EQ(dana.agency(), "OR0260000");
    // Her own agency's case, named by number alone.
    store->open_case(dana, {"OR0260000", "24-118", "1313"});
    store->add_exhibit(dana, {{"", "24-118"}, "1", "2024-06-01", "Burnside", ""}, {}, {decoded_reading(412, 7, "58A-104233")});
    EXPECT_EQ(store->show_case(dana, {"", "24-118"}).case_record.agency_ori, "OR0260000");
    // Another agency's: refused, and each refusal audited.
    EXPECT_THROW(store->open_case(dana, {"WA0010000", "24-999", "5212"}), AccessError);
    EXPECT_THROW(store->show_case(dana, {"WA0010000", "24-118"}), AccessError);
    EXPECT_THROW(store->record_custody(dana, {{"WA0010000", "24-118"}, "1"}, {"a", "b", "2024-06-02", "moved"}),
                 AccessError);
    EXPECT_THROW(store->scan_bytes(dana, washington_scan.sha256), AccessError);
    int refusals = 0;
    scratch.raw()->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        refusals = static_cast<int>(database::as_integer(transaction.query(
            "SELECT count(*) FROM audit_log WHERE user_name = 'dana' AND outcome = 'refused'")[0][0]));
    });
    EXPECT_EQ(refusals, 4);
    // A user without an agency reaches both; the case number alone is then ambiguous.
    EXPECT_EQ(store->show_case(any_agency, {"OR0260000", "24-118"}).exhibits.size(), 1u);
    EXPECT_THROW(store->show_case(any_agency, {"", "24-118"}), InputError);
}

TEST_P(SessionsAndAgencies, ACaseListingHoldsTheCasesTheUserMayOpenNewestFirst) {
    const Session root = admin();
    store->add_user(root, "dana", Role::examiner, "dana pass 123", "OR0260000");
    const Session any_agency = examiner();
    store->open_case(any_agency, {"WA0010000", "24-118", "5212"});
    store->open_case(any_agency, {"OR0260000", "24-300", "1313"});
    store->open_case(any_agency, {"OR0260000", "24-301", "1313"});
    store->add_exhibit(any_agency, {{"OR0260000", "24-300"}, "1", "2024-06-01", "Burnside", ""}, {}, {});
    store->add_exhibit(any_agency, {{"OR0260000", "24-300"}, "2", "2024-06-01", "Burnside", ""}, {}, {});

    const Session dana = store->logon("dana", "dana pass 123");
    const std::vector<CaseSummary> own = store->list_cases(dana);
    ASSERT_EQ(own.size(), 2u) << "her agency's cases only";
    EXPECT_EQ(own[0].case_record.case_number, "24-301");
    EXPECT_EQ(own[1].case_record.case_number, "24-300");
    EXPECT_EQ(own[1].items, 2);
    EXPECT_EQ(own[0].items, 0);
    EXPECT_THROW(store->list_cases(dana, {.agency_ori = "WA0010000"}), AccessError);
    EXPECT_THROW(store->list_cases(root), AccessError) << "an administrator reads no evidence";
    EXPECT_THROW(store->list_cases(dana, {.limit = 0}), InputError);

    EXPECT_EQ(store->list_cases(auditor()).size(), 3u) << "a user without an agency sees every agency's";
    EXPECT_EQ(store->list_cases(any_agency, {.agency_ori = "WA0010000"}).size(), 1u);
    // Pages: each starts below the last case of the one before.
    const std::vector<CaseSummary> first = store->list_cases(any_agency, {.limit = 2});
    ASSERT_EQ(first.size(), 2u);
    const std::vector<CaseSummary> next = store->list_cases(any_agency, {.before = first.back().case_record.id, .limit = 2});
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].case_record.case_number, "24-118");

    const auto listings = outcomes_of(scratch, "case.list");
    ASSERT_EQ(listings.size(), 8u) << "every listing audited, refusals and failures too";
    EXPECT_EQ(listings[0].first, "success");
    EXPECT_EQ(listings[0].second, "2 cases");
    EXPECT_EQ(listings[1].first, "refused");
    EXPECT_EQ(listings[2].first, "refused");
    EXPECT_EQ(listings[3].first, "failure");
}

TEST_P(SessionsAndAgencies, RecordedEventsAndLinkedItemsAreStored) {
    store->record_event("-", "-", "http.request", "POST /api/cases", "refused", "no session token");
    const auto events = outcomes_of(scratch, "http.request");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0], std::make_pair(std::string("refused"), std::string("no session token")));

    const Session session = examiner();
    store->open_case(session, {"WA0010000", "24-118", "5212"});
    store->open_case(session, {"WA0010000", "24-200", "5212"});
    for (const auto& [case_number, item] : {std::pair{"24-118", "1"}, {"24-118", "2"}, {"24-200", "7"}})
        store->add_exhibit(session, {{"", case_number}, item, "2024-05-01", "scene", ""}, {},
                           {decoded_reading(412, 7, "58A-104233")});
    store->link(session, {{"", "24-118"}, "1"}, {{"", "24-200"}, "7"}, LinkBasis::identical_identity, std::nullopt, "");
    store->link(session, {{"", "24-118"}, "2"}, {{"", "24-118"}, "1"}, LinkBasis::likelihood_ratio, 40.0, "");
    const ExhibitDetail detail = store->show_exhibit(session, {{"", "24-118"}, "1"});
    ASSERT_EQ(detail.links.size(), 2u);
    ASSERT_EQ(detail.linked.size(), 2u);
    EXPECT_EQ(detail.linked[0].case_number, "24-200");  // the other end, whichever side it was on
    EXPECT_EQ(detail.linked[0].item_number, "7");
    EXPECT_EQ(detail.linked[1].item_number, "2");
    const AuditVerification verification = store->verify_audit(auditor());
    EXPECT_TRUE(verification.intact) << verification.problem;
}

MICROSTAMP_ON_BOTH_BACKENDS(SessionsAndAgencies);

} // namespace
} // namespace microstamp::testing

// Leads on arrival, on both backends: a second casing of one pistol filed in another
// agency's case raises a lead the moment its reading is stored, both agencies see it
// (by kind and identity, not each other's cases), a later full reading settles a
// partial reading's leads, and confirming or rejecting one is role-checked and audited.

#include "store_fixture.hpp"

#include "evidence/errors.hpp"

#include <fmt/core.h>

namespace microstamp::testing {
namespace {

std::vector<std::pair<std::string, std::string>> audited(const ScratchStore& scratch, const std::string& action) {
    std::vector<std::pair<std::string, std::string>> rows;
    scratch.raw()->transact(database::TransactionMode::read, [&](database::Transaction& transaction) {
        for (const auto& row : transaction.query(
                 "SELECT outcome, detail FROM audit_log WHERE action = $1 ORDER BY sequence", {action}))
            rows.emplace_back(database::as_text(row[0]), database::as_text(row[1]));
    });
    return rows;
}

NewReading partial_reading(std::uint16_t manufacturer, std::uint16_t model, const std::string& serial) {
    return parse_reading("{\"status\":\"partial\",\"identity\":{\"manufacturer_code\":" + std::to_string(manufacturer) +
                             ",\"model_code\":" + std::to_string(model) + ",\"serial\":\"" + serial + "\"}}",
                         "test-reader 1");
}

// A casing whose firing pin named one pistol and whose breech face another: a swapped pin.
NewReading swapped_pin_reading(const std::string& pin_serial, const std::string& breech_serial) {
    const auto location = [](const std::string& name, const std::string& serial) {
        return "{\"location\":\"" + name + "\",\"status\":\"decoded\",\"identity\":{\"manufacturer_code\":412,"
               "\"model_code\":7,\"serial\":\"" + serial + "\"}}";
    };
    return parse_reading("{\"status\":\"locations_disagree\",\"locations\":[" + location("firing_pin", pin_serial) + "," +
                             location("breech_face", breech_serial) + "]}",
                         "test-reader 1");
}

class Leads : public StoreTest {
protected:
    // Two laboratories, each with an examiner of its own, and a state examiner who reaches both.
    void SetUp() override {
        StoreTest::SetUp();
        if (!ready) return;
        const Session root = admin();
        store->add_user(root, "seattle", Role::examiner, examiner_password, "WA0010000");
        store->add_user(root, "tacoma", Role::examiner, examiner_password, "WA0270000");
        store->open_case(store->logon("seattle", examiner_password), {"WA0010000", "24-118", "5212"});
        store->open_case(store->logon("tacoma", examiner_password), {"WA0270000", "T-77", "1313"});
    }
    Session seattle() { return store->logon("seattle", examiner_password); }
    Session tacoma() { return store->logon("tacoma", examiner_password); }
    ExhibitRecord file(const Session& session, const std::string& ori, const std::string& case_number,
                       const std::string& item, std::vector<NewReading> readings) {
        return store->add_exhibit(session, {{ori, case_number}, item, "2024-05-01T22:10Z", "scene", ""}, {}, readings);
    }
};

TEST_P(Leads, ASecondCasingOfOnePistolInAnotherAgencysCaseRaisesALeadOnArrival) {
    const ExhibitRecord first = file(seattle(), "WA0010000", "24-118", "3", {decoded_reading(412, 7, "58A-104233")});
    EXPECT_TRUE(first.leads.empty()) << "nothing to match yet";
    file(seattle(), "WA0010000", "24-118", "4", {decoded_reading(412, 7, "58A-999999")});  // another pistol

    const ExhibitRecord second = file(tacoma(), "WA0270000", "T-77", "1", {decoded_reading(412, 7, "58A-104233")});
    ASSERT_EQ(second.leads.size(), 1u) << "the lead is in the answer that stored the reading";
    const LeadRecord& lead = second.leads[0];
    EXPECT_EQ(lead.kind, "exact");
    EXPECT_EQ(lead.status, "open");
    EXPECT_EQ(lead.serial, "58A-104233");
    EXPECT_EQ(lead.manufacturer_code, 412);
    EXPECT_EQ(lead.found_for.case_number, "T-77");
    EXPECT_EQ(lead.other.agency_ori, "WA0010000");
    EXPECT_EQ(lead.other.case_number, "24-118");
    EXPECT_EQ(lead.other.item_number, "3");
    EXPECT_FALSE(lead.found_at.empty());

    // Both agencies see it; each still cannot open the other's case.
    for (const Session& side : {seattle(), tacoma()}) {
        const auto leads = store->list_leads(side);
        ASSERT_EQ(leads.size(), 1u) << side.user();
        EXPECT_EQ(leads[0].id, lead.id);
        EXPECT_EQ(leads[0].kind, "exact");
        EXPECT_EQ(leads[0].serial, "58A-104233");
    }
    EXPECT_THROW(store->show_case(tacoma(), {"WA0010000", "24-118"}), AccessError);
    EXPECT_EQ(store->list_leads(seattle(), {CaseKey{"", "24-118"}, "", "open"}).size(), 1u);
    EXPECT_TRUE(store->list_leads(seattle(), {std::nullopt, "", "confirmed"}).empty());
    EXPECT_TRUE(store->list_leads(seattle(), {std::nullopt, "2999-01-01", ""}).empty());
    EXPECT_THROW(store->list_leads(seattle(), {std::nullopt, "", "pending"}), InputError);

    const auto found = audited(scratch, "lead.found");
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].first, "success");
    EXPECT_NE(found[0].second.find("exact lead"), std::string::npos) << found[0].second;
    EXPECT_NE(found[0].second.find("WA0010000/24-118 item 3"), std::string::npos) << found[0].second;
    EXPECT_EQ(audited(scratch, "lead.list").size(), 6u);  // five listings and the one with a wrong status
    EXPECT_TRUE(store->verify_audit(auditor()).intact);

    // A reading added later to an item raises its leads too, and a pair is raised once.
    const ReadingRecord again =
        store->add_reading(tacoma(), {{"WA0270000", "T-77"}, "1"}, decoded_reading(412, 7, "58A-104233"));
    EXPECT_TRUE(again.leads.empty());
    const ReadingRecord third_item = store->add_reading(
        seattle(), {{"WA0010000", "24-118"}, "4"}, decoded_reading(412, 7, "58A-104233"));
    EXPECT_EQ(third_item.leads.size(), 2u) << "item 4 now names the pistol of items 3 and T-77/1";
}

TEST_P(Leads, APartialReadingsLeadIsResolvedByALaterFullReading) {
    file(seattle(), "WA0010000", "24-118", "3", {decoded_reading(412, 7, "58A-104233")});
    file(seattle(), "WA0010000", "24-118", "4", {decoded_reading(412, 7, "71C-550018")});
    const ExhibitRecord worn = file(tacoma(), "WA0270000", "T-77", "2", {partial_reading(412, 7, "58A-1?42?3")});
    ASSERT_EQ(worn.leads.size(), 1u) << "only 58A-104233 fits the partial reading";
    EXPECT_EQ(worn.leads[0].kind, "partial");
    EXPECT_EQ(worn.leads[0].serial, "58A-104233");
    EXPECT_EQ(worn.leads[0].partial_serial, "58A-1?42?3");
    ASSERT_TRUE(worn.leads[0].log10_likelihood_ratio);
    EXPECT_GT(*worn.leads[0].log10_likelihood_ratio, 0);
    EXPECT_EQ(worn.leads[0].other.item_number, "3");

    // The item is read again, in full: the partial lead is settled and an exact one raised.
    const ReadingRecord full =
        store->add_reading(tacoma(), {{"WA0270000", "T-77"}, "2"}, decoded_reading(412, 7, "58A-104233"));
    ASSERT_EQ(full.leads.size(), 1u);
    EXPECT_EQ(full.leads[0].kind, "exact");
    const auto resolved = store->list_leads(tacoma(), {std::nullopt, "", "resolved"});
    ASSERT_EQ(resolved.size(), 1u);
    EXPECT_EQ(resolved[0].id, worn.leads[0].id);
    EXPECT_NE(resolved[0].resolution.find("it agrees"), std::string::npos) << resolved[0].resolution;
    EXPECT_EQ(audited(scratch, "lead.resolve").size(), 1u);

    // A full reading elsewhere that fits a stored partial reading raises a partial lead to it.
    const ExhibitRecord worn_again = file(tacoma(), "WA0270000", "T-77", "5", {partial_reading(412, 7, "71C-5?0?18")});
    ASSERT_EQ(worn_again.leads.size(), 1u);
    const ExhibitRecord later = file(seattle(), "WA0010000", "24-118", "6", {decoded_reading(412, 7, "71C-550018")});
    bool partial_to_item_5 = false;
    for (const LeadRecord& lead : later.leads)
        partial_to_item_5 |= lead.kind == "partial" && lead.other.item_number == "5";
    EXPECT_TRUE(partial_to_item_5);
}

TEST_P(Leads, ConfirmAndRejectAreRoleCheckedAndAudited) {
    const Session state_lab = examiner();  // no agency: reaches both
    file(seattle(), "WA0010000", "24-118", "3", {decoded_reading(412, 7, "58A-104233")});
    file(seattle(), "WA0010000", "24-118", "4", {decoded_reading(412, 7, "71C-550018")});
    const auto exact = file(tacoma(), "WA0270000", "T-77", "1", {decoded_reading(412, 7, "58A-104233")}).leads;
    const auto partial = file(tacoma(), "WA0270000", "T-77", "2", {partial_reading(412, 7, "71C-5?00?8")}).leads;
    ASSERT_EQ(exact.size(), 1u);
    ASSERT_EQ(partial.size(), 1u);

    EXPECT_THROW(store->confirm_lead(auditor(), exact[0].id, ""), AccessError) << "an auditor changes nothing";
    EXPECT_THROW(store->confirm_lead(tacoma(), exact[0].id, ""), AccessError) << "a user of one agency";
    EXPECT_THROW(store->reject_lead(seattle(), partial[0].id, ""), AccessError);

    const LeadRecord confirmed = store->confirm_lead(state_lab, exact[0].id, "same firing pin");
    EXPECT_EQ(confirmed.status, "confirmed");
    EXPECT_EQ(confirmed.decided_by, "avery");
    ASSERT_TRUE(confirmed.link_id);
    const ExhibitDetail linked = store->show_exhibit(seattle(), {{"WA0010000", "24-118"}, "3"});
    ASSERT_EQ(linked.links.size(), 1u);
    EXPECT_EQ(linked.links[0].id, *confirmed.link_id);
    EXPECT_EQ(linked.links[0].basis, "identical_identity");
    EXPECT_THROW(store->confirm_lead(state_lab, exact[0].id, ""), InputError) << "only an open lead";

    const LeadRecord rejected = store->reject_lead(state_lab, partial[0].id, "different breech face");
    EXPECT_EQ(rejected.status, "rejected");
    EXPECT_FALSE(rejected.link_id);
    EXPECT_THROW(store->reject_lead(state_lab, 999999, ""), InputError);

    const auto confirmations = audited(scratch, "lead.confirm");
    ASSERT_EQ(confirmations.size(), 4u);  // auditor refused, one agency refused, success, not open
    EXPECT_EQ(confirmations[0].first, "refused");
    EXPECT_EQ(confirmations[1].first, "refused");
    EXPECT_EQ(confirmations[2].first, "success");
    EXPECT_EQ(confirmations[3].first, "failure");
    const auto rejections = audited(scratch, "lead.reject");
    ASSERT_EQ(rejections.size(), 3u);
    EXPECT_EQ(rejections[0].first, "refused");
    EXPECT_EQ(rejections[1].first, "success");
    EXPECT_EQ(rejections[2].first, "failure");
    EXPECT_TRUE(store->verify_audit(auditor()).intact);
}

TEST_P(Leads, ARolledBackImportLeavesNoLeadAndNoCandidateBehind) {
    file(seattle(), "WA0010000", "24-118", "3", {decoded_reading(412, 7, "58A-104233")});
    // The first 500 items are written and checked for leads, then item 501 is refused:
    // the whole import, its leads and what the ranking learnt from it are taken back.
    std::vector<BulkExhibit> bulk;
    bulk.push_back({"b1", "2024-05-01", "scene", partial_reading(412, 7, "58A-1?42?3")});
    for (int i = 2; i <= 500; ++i) bulk.push_back({fmt::format("b{}", i), "2024-05-01", "scene", std::nullopt});
    bulk.push_back({"", "2024-05-01", "scene", std::nullopt});
    EXPECT_THROW(store->bulk_import(seattle(), {"", "24-118"}, bulk), InputError);
    EXPECT_TRUE(store->list_leads(seattle()).empty());
    PartialQuery query;
    query.serial_pattern = "58A-1?42?3";
    const auto candidates = store->search_partial(seattle(), query);
    ASSERT_EQ(candidates.size(), 1u);
    EXPECT_EQ(candidates[0].exhibit.item_number, "3");
}

// A swapped pin: the casing names no identity, but each location's identity is a lead, to
// the casings already filed and to those filed later, through either location.
TEST_P(Leads, ASwappedPinCasingLeadsToThePinsPistolAndTheBreechFacesPistolEitherWayRound) {
    file(seattle(), "WA0010000", "24-118", "3", {decoded_reading(412, 7, "58A-104233")});  // the pin's pistol, earlier
    const ExhibitRecord swapped =
        file(tacoma(), "WA0270000", "T-77", "1", {swapped_pin_reading("58A-104233", "71C-550018")});
    ASSERT_EQ(swapped.leads.size(), 1u) << "the pin names the pistol of item 3";
    EXPECT_EQ(swapped.leads[0].kind, "location");
    EXPECT_EQ(swapped.leads[0].location, "firing_pin");
    EXPECT_EQ(swapped.leads[0].serial, "58A-104233");
    EXPECT_EQ(swapped.leads[0].other.item_number, "3");
    PartialQuery exact;
    exact.serial_pattern = "71C-550018";
    EXPECT_TRUE(store->search_partial(seattle(), exact).empty()) << "the casing itself is never taken for either pistol";

    // A casing of the breech face's pistol filed later finds the swapped-pin casing.
    const ExhibitRecord later = file(seattle(), "WA0010000", "24-118", "7", {decoded_reading(412, 7, "71C-550018")});
    ASSERT_EQ(later.leads.size(), 1u);
    EXPECT_EQ(later.leads[0].kind, "location");
    EXPECT_EQ(later.leads[0].location, "breech_face");
    EXPECT_EQ(later.leads[0].other.case_number, "T-77");
    EXPECT_EQ(later.leads[0].other_reading_id, swapped.leads[0].reading_id);

    // A second swapped-pin casing whose pin came from the same pistol finds the first.
    const ExhibitRecord again =
        file(tacoma(), "WA0270000", "T-77", "2", {swapped_pin_reading("58A-104233", "80D-000001")});
    bool to_first_casing = false;
    for (const LeadRecord& lead : again.leads) to_first_casing |= lead.other.item_number == "1" && lead.kind == "location";
    EXPECT_TRUE(to_first_casing);
    EXPECT_EQ(again.leads.size(), 2u) << "item 3 (a reading) and T-77/1 (a location)";

    const auto found = audited(scratch, "lead.found");
    EXPECT_NE(found.back().second.find("location of a casing whose locations disagree"), std::string::npos)
        << found.back().second;
    // Confirmed, the lead is a link of one identity.
    const LeadRecord confirmed = store->confirm_lead(examiner(), swapped.leads[0].id, "");
    EXPECT_EQ(confirmed.status, "confirmed");
    ASSERT_TRUE(confirmed.link_id);
    EXPECT_EQ(store->list_leads(examiner(), {std::nullopt, "", "confirmed"}).at(0).location, "firing_pin");
    EXPECT_TRUE(store->verify_audit(auditor()).intact);
}

TEST(SwappedPinReading, EachDecodedLocationsIdentityIsKeptAndABadOneIsRefusedInOneLine) {
    const NewReading reading = swapped_pin_reading("58a-104233", "71C-550018");
    EXPECT_FALSE(reading.serial);
    ASSERT_EQ(reading.location_identities.size(), 2u);
    EXPECT_EQ(reading.location_identities[0].location, "firing_pin");
    EXPECT_EQ(reading.location_identities[0].serial, "58A-104233");
    EXPECT_EQ(reading.location_identities[1].location, "breech_face");
    EXPECT_EQ(reading.location_identities[1].model_code, 7);
    EXPECT_THROW(swapped_pin_reading("58A-1?4233", "71C-550018"), InputError);
    EXPECT_THROW(parse_reading("{\"status\":\"locations_disagree\",\"locations\":[{\"location\":\"grip\",\"identity\":"
                               "{\"manufacturer_code\":412,\"model_code\":7,\"serial\":\"A1\"}},{}]}",
                               "r"),
                 InputError);
}

MICROSTAMP_ON_BOTH_BACKENDS(Leads);

} // namespace
} // namespace microstamp::testing

// Trace requests: an item's decoded identity as an ATF eTrace request.

#include "evidence/store_state.hpp"

#include "code/catalog.hpp"

#include <fmt/core.h>

namespace microstamp {

TraceRequest Store::issue_trace_request(const Session& session, const NewTraceRequest& request) {
    return state_->perform(
        session, Permission::issue_trace_request, "trace_request.export",
        "case " + request.exhibit.case_key.case_number + " item " + request.exhibit.item_number,
        [&](Transaction& transaction, AuditNote& note) {
            if (request.priority != "routine" && request.priority != "urgent")
                throw InputError("trace priority '" + request.priority + "' must be routine or urgent");
            require_text("requesting officer", request.officer, 100);
            require_text("firearm type", request.firearm_type, 50);
            require_optional_text("country of origin", request.country_of_origin, 100);
            require_optional_text("importer", request.importer, 200);
            const ExhibitRecord exhibit = state_->find_exhibit(transaction, session, request.exhibit);
            const CaseRecord case_record =
                state_->find_case(transaction, session, {exhibit.agency_ori, exhibit.case_number});
            const Rows readings = transaction.query("SELECT manufacturer_code, model_code, serial FROM readings WHERE "
                                                    "exhibit_id = $1 AND status = 'decoded' ORDER BY id DESC LIMIT 1",
                                                    {exhibit.id});
            if (readings.empty())
                throw InputError("item " + exhibit.item_number +
                                 " has no decoded reading: a trace request needs make, model and serial");
            const auto manufacturer_code = static_cast<std::uint16_t>(as_integer(readings[0][0]));
            const auto model_code = static_cast<std::uint16_t>(as_integer(readings[0][1]));
            TraceRequest trace;
            trace.priority = request.priority;
            trace.offense_code = case_record.offense_code;
            trace.agency_ori = case_record.agency_ori;
            trace.officer = request.officer;
            trace.case_number = case_record.case_number;
            trace.item_number = exhibit.item_number;
            trace.serial = as_text(readings[0][2]);
            trace.obliterated = request.obliterated;
            const Catalog& catalog = default_catalog();
            const Manufacturer* manufacturer = catalog.find_manufacturer(manufacturer_code);
            const Model* model = catalog.find_model(manufacturer_code, model_code);
            trace.manufacturer = manufacturer ? manufacturer->name : fmt::format("manufacturer code {}", manufacturer_code);
            trace.model = model ? model->name : fmt::format("model code {}", model_code);
            trace.caliber = !request.caliber.empty() ? request.caliber : model ? model->caliber : "";
            trace.firearm_type = request.firearm_type;
            trace.country_of_origin = request.country_of_origin;
            trace.importer = request.importer;
            trace.created_at = state_->now();
            trace.created_by = session.user();
            const Rows rows = transaction.query(
                "INSERT INTO trace_requests (exhibit_id, priority, offense_code, agency_ori, officer, case_number, "
                "item_number, serial, obliterated, manufacturer, firearm_type, caliber, model, country_of_origin, "
                "importer, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
                "$15, $16, $17) RETURNING id",
                {exhibit.id, trace.priority, trace.offense_code, trace.agency_ori, trace.officer, trace.case_number,
                 trace.item_number, trace.serial, std::int64_t{trace.obliterated ? 1 : 0}, trace.manufacturer,
                 trace.firearm_type, trace.caliber, trace.model, trace.country_of_origin, trace.importer,
                 trace.created_at, trace.created_by});
            trace.id = as_integer(rows[0][0]);
            note.detail = fmt::format("trace request {}: {} {} serial {}", trace.id, trace.manufacturer, trace.model,
                                      trace.serial);
            return trace;
        });
}


} // namespace microstamp

#include "evidence/database.hpp"

#include "evidence/errors.hpp"

namespace microstamp::database {
namespace {

const char* type_name(const Value& value) {
    switch (value.index()) {
    case 0: return "NULL";
    case 1: return "integer";
    case 2: return "real";
    case 3: return "text";
    default: return "blob";
    }
}

template <typename T>
const T& expect(const Value& value, const char* wanted) {
    if (const auto* held = std::get_if<T>(&value)) return *held;
    throw StoreError(std::string("store holds a ") + type_name(value) + " where a " + wanted +
                     " was expected: the store may be damaged");
}

} // namespace

bool is_null(const Value& value) { return std::holds_alternative<std::monostate>(value); }

std::int64_t as_integer(const Value& value) { return expect<std::int64_t>(value, "integer"); }

double as_real(const Value& value) {
    // SQLite hands back a REAL column holding a whole number as an integer.
    if (const auto* integer = std::get_if<std::int64_t>(&value)) return static_cast<double>(*integer);
    return expect<double>(value, "real");
}

const std::string& as_text(const Value& value) { return expect<std::string>(value, "text"); }

const Bytes& as_bytes(const Value& value) { return expect<Bytes>(value, "blob"); }

BytesView blob_parameter(const Value& value) {
    if (const auto* view = std::get_if<BytesView>(&value)) return *view;
    return as_bytes(value);
}

} // namespace microstamp::database

#pragma once
// The store's schema as a list of migrations. A store records every migration applied
// (schema_version); opening an older store applies the missing ones in one transaction.
// Never edit a released migration: add the next one.

#include "evidence/database.hpp"

#include <span>
#include <string>
#include <string_view>

namespace microstamp {

struct Migration {
    int version;
    std::string_view description;
    // Shared SQL; {id} and {blob} stand for the backend's auto-numbered key and byte types.
    std::string_view common_sql;
    std::string_view sqlite_sql;
    std::string_view postgresql_sql;
};

std::span<const Migration> migrations();
int latest_schema_version();
std::string migration_script(const Migration& migration, database::Backend backend);

} // namespace microstamp

#pragma once
// Where a store lives: `sqlite:PATH` (one file, the embedded default) or a libpq
// URI `postgresql://[user[:password]@][host][:port][/database][?options]`.

#include "evidence/database.hpp"

#include <string>
#include <string_view>

namespace microstamp {

struct StoreLocation {
    database::Backend backend = database::Backend::sqlite;
    std::string target;   // the file path, or the URI handed to libpq
    std::string display;  // what messages show: the URL with any password replaced by ***
};

// Throws InputError naming the accepted forms for anything else.
StoreLocation parse_store_url(std::string_view url);

} // namespace microstamp

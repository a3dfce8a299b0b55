#pragma once
// The examiner's page (web/) and the API description (docs/openapi.json), compiled into
// the binary by cmake/embed_files.cmake so the server needs no files and no network.

#include <string_view>
#include <vector>

namespace microstamp::serve {

struct WebAsset {
    std::string_view name;  // file name, e.g. "app.js"
    std::string_view content;
};

const std::vector<WebAsset>& web_assets();
// By extension: "text/html; charset=utf-8", "text/javascript", ...
std::string_view content_type_for(std::string_view name);
const WebAsset* find_web_asset(std::string_view name);

} // namespace microstamp::serve

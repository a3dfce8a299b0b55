#include "serve/web_assets.hpp"

namespace microstamp::serve {

std::string_view content_type_for(std::string_view name) {
    if (name.ends_with(".html")) return "text/html; charset=utf-8";
    if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
    if (name.ends_with(".css")) return "text/css; charset=utf-8";
    if (name.ends_with(".json")) return "application/json";
    if (name.ends_with(".svg")) return "image/svg+xml";
    return "application/octet-stream";
}

const WebAsset* find_web_asset(std::string_view name) {
    for (const WebAsset& asset : web_assets())
        if (asset.name == name) return &asset;
    return nullptr;
}

} // namespace microstamp::serve

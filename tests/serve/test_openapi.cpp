// docs/openapi.json and the server agree: every route the server registers is
// documented, and every documented route is served (the document checked is the one
// compiled into the binary from docs/openapi.json).

#include "served_store.hpp"

#include <set>

namespace microstamp::testing {
namespace {

TEST(OpenApi, EveryRouteIsDocumentedAndEveryDocumentedRouteIsServed) {
    ServedStore served;
    const auto response = served.client().Get("/api/openapi.json");
    ASSERT_TRUE(response);
    const nlohmann::json document = nlohmann::json::parse(response->body);
    std::set<std::string> documented, registered;
    for (const auto& [path, operations] : document.at("paths").items())
        for (const auto& [method, operation] : operations.items()) {
            if (method == "parameters") continue;
            std::string upper = method;
            for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            documented.insert(upper + " " + path);
            EXPECT_TRUE(operation.contains("responses")) << upper << " " << path << " documents no responses";
        }
    for (const Route& route : served.service().routes()) registered.insert(route.method + " " + route.path);
    for (const auto& route : registered) EXPECT_TRUE(documented.contains(route)) << route << " is served but not documented";
    for (const auto& route : documented) EXPECT_TRUE(registered.contains(route)) << route << " is documented but not served";
    EXPECT_EQ(registered.size(), served.service().routes().size()) << "a route registered twice";
}

} // namespace
} // namespace microstamp::testing

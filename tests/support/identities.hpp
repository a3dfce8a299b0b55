#pragma once
// Random identities from the shipped catalog, for tests that sweep many pistols.

#include "code/catalog.hpp"

#include <random>

namespace microstamp::testing {

inline Identity random_identity(std::mt19937_64& random, const Catalog& catalog = default_catalog()) {
    const auto& models = catalog.models();
    const Model& model = models[std::uniform_int_distribution<std::size_t>(0, models.size() - 1)(random)];
    const int length = std::uniform_int_distribution<int>(1, static_cast<int>(max_serial_length))(random);
    std::string serial;
    std::uniform_int_distribution<std::size_t> character(0, serial_alphabet.size() - 1);
    for (int i = 0; i < length; ++i) serial.push_back(serial_alphabet[character(random)]);
    return *catalog.identity(model.manufacturer_code, model.code, serial);
}

} // namespace microstamp::testing

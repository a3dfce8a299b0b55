#include "store_fixture.hpp"

#include "surface/image.hpp"

namespace microstamp::testing {

std::vector<std::uint8_t> small_png() {
    Image image;
    image.width = 32;
    image.height = 32;
    image.bits = 8;
    for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) image.pixels.push_back(static_cast<std::uint16_t>((x * 8 + y) & 255));
    return png_bytes(image);
}

} // namespace microstamp::testing

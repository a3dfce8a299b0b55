// The image reader on any bytes: PNG, TIFF, JPEG (or a lie about which), through the entry
// the service calls for an uploaded photograph, with the service's pixel limit.

#include "fuzz_support.hpp"
#include "surface/image.hpp"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::vector<std::uint8_t> bytes(data, data + size);
    microstamp::fuzz::parse_or_refuse([&] {
        const microstamp::Image image = microstamp::decode_image(bytes, "upload.png", 4096u * 4096u);
        if (image.width <= 0 || image.height <= 0 ||
            image.pixels.size() != static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height))
            microstamp::fuzz::finding("an image whose pixels do not fill its size");
        if (image.bits != 8 && image.bits != 16) microstamp::fuzz::finding("an image neither 8 nor 16 bits deep");
    });
    return 0;
}

// The PNG decoder on any bytes, as decode_image hands it a file that starts like a PNG.

#include "fuzz_support.hpp"
#include "surface/grey_png.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    microstamp::fuzz::parse_or_refuse([&] {
        const std::optional<microstamp::Image> image = microstamp::decode_grey_png(microstamp::fuzz::bytes_of(data, size), "upload.png");
        if (image && image->pixels.size() != static_cast<std::size_t>(image->width) * static_cast<std::size_t>(image->height))
            microstamp::fuzz::finding("an image whose pixels do not fill its size");
    });
    return 0;
}

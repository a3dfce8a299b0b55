// The x3p reader on any bytes: the zip container, main.xml and the point data, through
// the entry the service calls for an upload (with its limits), which the command line's
// file reader shares.

#include "fuzz_support.hpp"
#include "surface/x3p.hpp"

#include <cmath>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    microstamp::X3pReadLimits limits;
    limits.max_points = 4096u * 4096u;       // the service's ServeOptions::max_scan_points
    limits.max_xml_bytes = std::uint64_t{32} << 20;  // and its cap on an upload's main.xml
    microstamp::fuzz::parse_or_refuse([&] {
        const microstamp::X3pFile file = microstamp::read_x3p(microstamp::fuzz::bytes_of(data, size), "upload.x3p", limits);
        const microstamp::Surface& surface = file.surface;
        if (surface.heights_um.size() != surface.width * surface.height || surface.valid.size() != surface.heights_um.size())
            microstamp::fuzz::finding("a surface whose heights do not fill its grid");
        for (std::size_t i = 0; i < surface.heights_um.size(); ++i)
            if (surface.valid[i] != 0 && !std::isfinite(surface.heights_um[i]))
                microstamp::fuzz::finding("a valid point whose height is not finite");
        if (!(surface.spacing_x_um > 0) || !(surface.spacing_y_um > 0) || !std::isfinite(surface.spacing_x_um) ||
            !std::isfinite(surface.spacing_y_um))
            microstamp::fuzz::finding("a grid spacing that is not positive and finite");
        for (const std::string& warning : file.warnings) microstamp::fuzz::check_one_line(warning);
    });
    return 0;
}

// The Python module's native half: numpy arrays in and out of the public API
// (include/microstamp/microstamp.hpp), nothing else. Arrays the library returns are
// handed to numpy without a copy; arrays passed in are read in place when they are
// C-contiguous float64 (or uint8/uint16 for photographs).

#include <microstamp/microstamp.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

namespace py = pybind11;
namespace api = microstamp::api;

namespace {

// numpy owns the vector from here on: the array's base is a capsule that frees it.
template <typename Value>
py::array_t<Value> owned_array(std::vector<Value>&& values, std::size_t height, std::size_t width) {
    auto* owned = new std::vector<Value>(std::move(values));
    py::capsule release(owned, [](void* pointer) { delete static_cast<std::vector<Value>*>(pointer); });
    return py::array_t<Value>({height, width}, owned->data(), release);
}

py::array_t<double> heights_array(api::Surface&& surface) {
    return owned_array(std::move(surface.heights_um), surface.height, surface.width);
}

py::array photograph_array(api::Image&& image) {
    const auto height = static_cast<std::size_t>(image.height), width = static_cast<std::size_t>(image.width);
    if (image.bits == 16) return owned_array(std::move(image.pixels), height, width);
    py::array_t<std::uint8_t> narrow({height, width});
    auto* target = narrow.mutable_data();
    for (std::size_t i = 0; i < image.pixels.size(); ++i) target[i] = static_cast<std::uint8_t>(image.pixels[i]);
    return narrow;
}

using Heights = py::array_t<double, py::array::c_style | py::array::forcecast>;

api::SurfaceView heights_view(const Heights& heights, double spacing_x_um, double spacing_y_um) {
    if (heights.ndim() != 2) throw std::invalid_argument("heights must be a 2-D array (rows, columns)");
    return {heights.data(), static_cast<std::size_t>(heights.shape(1)), static_cast<std::size_t>(heights.shape(0)),
            0, spacing_x_um, spacing_y_um > 0 ? spacing_y_um : spacing_x_um, nullptr};
}

std::string read_heights(const Heights& heights, double um_per_px, double spacing_y_um, bool designs_alongside_ring) {
    const api::SurfaceView view = heights_view(heights, um_per_px, spacing_y_um);
    py::gil_scoped_release unlocked;
    return api::read(view, api::ReadOptions{0, designs_alongside_ring}).json;
}

template <typename Pixel>
std::string read_pixels(const py::array_t<Pixel, py::array::c_style | py::array::forcecast>& pixels, double um_per_px,
                        bool designs_alongside_ring) {
    if (pixels.ndim() != 2) throw std::invalid_argument("a photograph must be a 2-D grey array (rows, columns)");
    api::ImageView view;
    if constexpr (sizeof(Pixel) == 1) view.pixels8 = pixels.data();
    else view.pixels16 = pixels.data();
    view.width = static_cast<int>(pixels.shape(1));
    view.height = static_cast<int>(pixels.shape(0));
    py::gil_scoped_release unlocked;
    return api::read(view, api::ReadOptions{um_per_px, designs_alongside_ring}).json;
}

py::dict metadata_dict(const api::Metadata& metadata) {
    py::dict result;
    result["date"] = metadata.date;
    result["creator"] = metadata.creator;
    result["instrument_manufacturer"] = metadata.instrument_manufacturer;
    result["instrument_model"] = metadata.instrument_model;
    result["instrument_serial"] = metadata.instrument_serial;
    result["instrument_version"] = metadata.instrument_version;
    result["calibration_date"] = metadata.calibration_date;
    result["probing_system"] = metadata.probing_system;
    result["comment"] = metadata.comment;
    return result;
}

api::Metadata metadata_from(const py::dict& values) {
    api::Metadata metadata;
    const std::pair<const char*, std::string*> fields[] = {
        {"date", &metadata.date},
        {"creator", &metadata.creator},
        {"instrument_manufacturer", &metadata.instrument_manufacturer},
        {"instrument_model", &metadata.instrument_model},
        {"instrument_serial", &metadata.instrument_serial},
        {"instrument_version", &metadata.instrument_version},
        {"calibration_date", &metadata.calibration_date},
        {"probing_system", &metadata.probing_system},
        {"comment", &metadata.comment}};
    for (const auto& item : values) {
        const auto key = item.first.cast<std::string>();
        bool known = false;
        for (const auto& [name, target] : fields)
            if (key == name) *target = item.second.cast<std::string>(), known = true;
        if (!known) throw std::invalid_argument("x3p metadata has no field '" + key + "'");
    }
    return metadata;
}

py::dict identity_dict(const api::Identity& identity) {
    py::dict result;
    result["manufacturer"] = identity.manufacturer;
    result["model"] = identity.model;
    result["serial"] = identity.serial;
    return result;
}

} // namespace

PYBIND11_MODULE(_microstamp, module) {
    module.doc() = "microstamp's native module; use the `microstamp` package";
    module.attr("__version__") = api::version();

    module.def("read_file", [](const std::string& path, double um_per_px, bool designs_alongside_ring) {
        py::gil_scoped_release unlocked;
        return api::read_file(path, api::ReadOptions{um_per_px, designs_alongside_ring}).json;
    }, py::arg("path"), py::arg("um_per_px") = 0.0, py::arg("designs_alongside_ring") = false);
    module.def("read_heights", &read_heights, py::arg("heights"), py::arg("um_per_px"), py::arg("spacing_y_um") = 0.0,
               py::arg("designs_alongside_ring") = false);
    module.def("read_photograph8", &read_pixels<std::uint8_t>, py::arg("pixels"), py::arg("um_per_px"),
               py::arg("designs_alongside_ring") = false);
    module.def("read_photograph16", &read_pixels<std::uint16_t>, py::arg("pixels"), py::arg("um_per_px"),
               py::arg("designs_alongside_ring") = false);

    module.def("read_x3p", [](const std::string& path) {
        api::X3p file = [&] { py::gil_scoped_release unlocked; return api::read_x3p(path); }();
        py::dict metadata = metadata_dict(file.metadata);
        metadata["spacing_x_um"] = file.surface.spacing_x_um;
        metadata["spacing_y_um"] = file.surface.spacing_y_um;
        metadata["warnings"] = file.warnings;
        return py::make_tuple(heights_array(std::move(file.surface)), metadata);
    }, py::arg("path"));
    module.def("write_x3p", [](const std::string& path, const Heights& heights, double um_per_px, double spacing_y_um,
                               const py::dict& metadata) {
        const api::SurfaceView view = heights_view(heights, um_per_px, spacing_y_um);
        const api::Metadata record = metadata_from(metadata);
        py::gil_scoped_release unlocked;
        api::write_x3p(path, view, record);
    }, py::arg("path"), py::arg("heights"), py::arg("um_per_px"), py::arg("spacing_y_um") = 0.0,
       py::arg("metadata") = py::dict());

    py::class_<api::Die>(module, "Die", "An engraved die: its identity, text key and face heightmap")
        .def_property_readonly("identity", [](const api::Die& die) { return identity_dict(die.identity); })
        .def_property_readonly("text_key", [](const api::Die& die) { return die.text_key; })
        .def_property_readonly("spacing_um", [](const api::Die& die) { return die.heightmap.spacing_x_um; })
        .def_property_readonly("heightmap", [](py::object self) {
            // A read-only view of the die's own heights, alive as long as the die is.
            const auto& die = self.cast<const api::Die&>();
            py::array_t<double> view({die.heightmap.height, die.heightmap.width}, die.heightmap.heights_um.data(), self);
            py::detail::array_proxy(view.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
            return view;
        })
        .def("write", [](const api::Die& die, const std::string& folder) { api::write_die(die, folder); },
             py::arg("folder"), "Writes the folder `microstamp encode` writes");

    module.def("encode", [](const std::string& make, const std::string& model, const std::string& serial,
                            const std::vector<std::string>& designs, double pin_diameter_um, double depth_um,
                            double spacing_um) {
        py::gil_scoped_release unlocked;
        return api::encode({make, model, serial}, {designs, pin_diameter_um, depth_um, spacing_um});
    }, py::arg("make"), py::arg("model"), py::arg("serial"),
       py::arg("designs") = std::vector<std::string>{"ring", "text"}, py::arg("pin_diameter_um") = 0.0,
       py::arg("depth_um") = 15.0, py::arg("spacing_um") = 1.0);

    module.def("fire", [](const api::Die& die, const std::string& firearm, const std::string& ammunition, long rounds,
                          std::uint64_t seed, double spacing_um, int size) {
        api::Casing casing = [&] {
            py::gil_scoped_release unlocked;
            return api::fire(die, {firearm, ammunition, rounds, seed, spacing_um, size});
        }();
        py::dict result;
        result["number"] = casing.number;
        result["spacing_um"] = casing.topography.spacing_x_um;
        result["um_per_px"] = casing.photograph.um_per_px;
        result["topography"] = heights_array(std::move(casing.topography));
        result["photograph"] = photograph_array(std::move(casing.photograph));
        result["truth"] = casing.truth_json;
        return result;
    }, py::arg("die"), py::arg("firearm") = "service-9mm-striker", py::arg("ammunition") = "standard-small-pistol",
       py::arg("rounds") = 1, py::arg("seed") = 1, py::arg("spacing_um") = 2.0, py::arg("size") = 1000);
}

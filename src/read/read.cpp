#include "read/read.hpp"

#include "read/ring_drag.hpp"
#include "read/ringless_impression.hpp"

#include <array>
#include <chrono>
#include <cmath>
#include <fmt/core.h>
#include <numbers>
#include <opencv2/imgproc.hpp>

namespace microstamp {

std::string_view status_name(ReadStatus status) {
    switch (status) {
    case ReadStatus::decoded: return "decoded";
    case ReadStatus::partial: return "partial";
    case ReadStatus::defaced: return "defaced";
    case ReadStatus::no_stamp: return "no_stamp";
    case ReadStatus::unreadable: return "unreadable";
    case ReadStatus::locations_disagree: return "locations_disagree";
    }
    return "unknown";
}

namespace {

// Times the stages of one read: each `lap` closes the stage run since the last one.
class StageClock {
public:
    void lap(std::string_view stage) {
        const auto now = std::chrono::steady_clock::now();
        laps_.emplace_back(std::string(stage), std::chrono::duration<double, std::milli>(now - last_).count());
        last_ = now;
    }
    std::vector<std::pair<std::string, double>> laps() const { return laps_; }

private:
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
    std::vector<std::pair<std::string, double>> laps_;
};

std::string_view feature_name(FeatureKind kind) {
    switch (kind) {
    case FeatureKind::height: return "height";
    case FeatureKind::shading: return "shading";
    case FeatureKind::edge_energy: return "edge_energy";
    case FeatureKind::relief: return "relief";
    }
    return "unknown";
}

// Finds the ring; with none, says whether the impression was defaced or never stamped.
Reading locate(const FeatureMap& map, const LocateOptions& locate, const ReadOptions& options) {
    Reading reading;
    reading.um_per_px = map.um_per_px;
    const auto placement = locate_ring(map, locate);
    if (!placement) {
        reading.failure = "no impression found";
        return reading;
    }
    reading.placement = placement;
    reading.pin_diameter_um = FaceGeometry{}.pin_diameter_um * placement->px_per_um * map.um_per_px;
    if (placement->finder_score < options.min_finder_score) {
        reading.failure = "no ring finder circles in the impression";
        if (map.kind != FeatureKind::height) return reading;  // photographs: classify_blank_photograph
        measure_blank_impression(map, reading);
        classify_ringless(reading, {options.min_scratch_coherence, options.min_damage_texture_ratio, options.max_unmeasured_share},
                          true);
        return reading;
    }
    return reading;
}

// The leads of a partial read that name a make and model the catalog knows (a stamp's
// codes come from it), their likelihoods renormalised over those.
std::vector<RingLead> catalog_leads(const RingObservation& observation, const Catalog& catalog) {
    std::vector<RingLead> leads = ring_leads(observation);
    std::erase_if(leads, [&](const RingLead& lead) { return !catalog.find_model(lead.manufacturer_code, lead.model_code); });
    double total = 0;
    for (const RingLead& lead : leads) total += lead.likelihood;
    for (RingLead& lead : leads) lead.likelihood /= total;
    return leads;
}

// Decodes the ring as sampled at a phase, adding to the reading's decode attempts.
void decode_phase(const FeatureMap& map, const RingPhase& phase, const ReadOptions& options, const Catalog& catalog,
                  Reading& reading) {
    const RingPlacement& chosen = phase.placement;
    const RingSample& sample = phase.sample;
    reading.leads.clear();
    reading.placement = chosen;
    reading.feature = feature_name(map.kind);
    reading.observation = sample.observation;
    reading.erased_sectors = sample.erased_sectors;
    const RingDecoding decoding = decode_ring(sample.observation, options.ring);
    reading.attempts += decoding.attempts;
    reading.erasures = decoding.erasures;
    reading.errors = decoding.errors;
    reading.sync_agreement = decoding.sync_agreement;
    reading.sync_margin = decoding.sync_margin;
    reading.false_identity_bound = reading.attempts * std::ldexp(1.0, -32);
    const double sector = 360.0 / ring_sectors_per_track;
    reading.rotation_deg = std::fmod(chosen.grid_angle * 180 / std::numbers::pi -
                                         decoding.rotation_sectors * sector + 720.0, 360.0);
    if (decoding.status == RingStatus::decoded) {
        reading.status = ReadStatus::decoded;
        reading.fields = decoding.fields;
        reading.identity = catalog.identity(decoding.fields->manufacturer_code, decoding.fields->model_code,
                                            decoding.fields->serial);
        reading.unused_capacity = decoding.unused_capacity;
        reading.decision_margin = static_cast<double>(decoding.unused_capacity) / ring_parity_symbols;
        reading.confidence = 1.0 - reading.false_identity_bound;
        reading.failure = reading.identity ? "" : "the stamp's manufacturer or model code is not in this catalog";
        return;
    }
    reading.status = ReadStatus::partial;
    reading.failure = decoding.failure;
    reading.leads = catalog_leads(sample.observation, catalog);
}

void decode_at(const FeatureMap& map, const RingPlacement& placement, const ReadOptions& options, const Catalog& catalog,
               Reading& reading) {
    decode_phase(map, choose_phase(map, placement), options, catalog, reading);
}

// Where a pin of any catalogued size can be on a photograph, the scale hint up to
// `scale_tolerance` off.
LocateOptions photograph_locate_options(double hint_um_per_px, const ReadOptions& options, bool quick = false) {
    const double tolerance = quick ? std::min(options.quick_look_scale_tolerance, options.scale_tolerance) : options.scale_tolerance;
    LocateOptions locate;
    locate.min_px_per_um = options.min_pin_scale / (hint_um_per_px * (1 + tolerance));
    locate.max_px_per_um = options.max_pin_scale / (hint_um_per_px * (1 - tolerance));
    locate.quick = quick;
    return locate;
}

// Attempts made before a reading's own count towards its bound on a false identity.
void count_earlier_attempts(Reading& reading, int attempts) {
    reading.attempts += attempts;
    reading.false_identity_bound = reading.attempts * std::ldexp(1.0, -32);
    if (reading.confidence > 0) reading.confidence = 1.0 - reading.false_identity_bound;
}

// The other designs, read when the ring did not decode (or always, if asked). The
// overall answer comes from the best of them that decoded: an identity first
// (a Data Matrix, or a key the directory resolves), else a key nobody resolved.
void read_other_designs(Reading& reading, const DesignRelief& relief, const LocateOptions& locate,
                        const ReadOptions& options, const Catalog& catalog) {
    if (options.designs.empty() || (reading.status == ReadStatus::decoded && !options.designs_alongside_ring)) return;
    const DesignSearch search{locate.min_px_per_um, locate.max_px_per_um, &catalog, options.key_directory};
    reading.designs = read_designs(relief, options.designs, search);
    if (reading.status == ReadStatus::decoded) return;
    const DesignReading* best = nullptr;
    for (const DesignReading& design : reading.designs) {
        if (design.status != DesignStatus::decoded) continue;
        const auto rank = [](const DesignReading& r) { return std::pair{r.identity.has_value(), r.confidence}; };
        if (!best || rank(design) > rank(*best)) best = &design;
    }
    if (!best) return;
    reading.design = best->design;
    if (best->identity) {
        reading.status = ReadStatus::decoded;
        reading.identity = best->identity;
        reading.fields = best->fields;
        reading.confidence = best->confidence;
        reading.failure.clear();
    } else {
        // A whole key read outweighs the texture statistics that called the face defaced or blank.
        reading.status = ReadStatus::partial;
        reading.fields = best->fields;
        reading.failure = fmt::format("{} code '{}' read: {}", design_name(best->design), best->code,
                                      best->failure.empty() ? "no key directory to resolve it" : best->failure);
    }
}

// A measured topography whose ring did not decode, read again through the drag that
// explains its cells best (ring_drag.hpp), if one does. Measured heights only: the relief
// recovered from a photograph's shading does not add up cell by cell as the smear does
// (the cells read through a fitted drag come out as wrong as before).
void decode_through_drag(const FeatureMap& map, const ReadOptions& options, const Catalog& catalog, Reading& reading) {
    if (!options.read_through_drag || map.kind != FeatureKind::height || reading.status != ReadStatus::partial || !reading.placement || !reading.observation)
        return;
    const DraggedRing dragged =
        read_through_drag(map, *reading.placement, RingSample{*reading.observation, reading.erased_sectors, 0});
    if (!(dragged.drag.length_um > 0)) return;
    Reading attempt = reading;
    decode_phase(map, RingPhase{*reading.placement, dragged.sample, 0}, options, catalog, attempt);
    if (attempt.status == ReadStatus::decoded) {
        attempt.feature = "height_through_drag";
        reading = std::move(attempt);
        return;
    }
    reading.attempts = attempt.attempts;
    reading.false_identity_bound = attempt.false_identity_bound;
}

} // namespace

Reading read(const FeatureMap& map, const LocateOptions& locate_options, const ReadOptions& options, const Catalog& catalog) {
    Reading reading = locate(map, locate_options, options);
    if (!reading.placement) return reading;
    if (reading.status == ReadStatus::unreadable && reading.failure.empty()) {
        decode_at(map, *reading.placement, options, catalog, reading);
        decode_through_drag(map, options, catalog, reading);
        return reading;
    }
    // Finder circles too faint to say a ring is there: a pin worn for thousands of rounds
    // rounds its thin circles first, while the cells still print. The ring is read
    // anyway (each attempt counted; the integrity check decides), and only if that fails
    // does the impression's texture say defaced or unstamped.
    Reading attempt = reading;
    attempt.status = ReadStatus::unreadable;
    decode_at(map, *reading.placement, options, catalog, attempt);
    decode_through_drag(map, options, catalog, attempt);
    if (attempt.status == ReadStatus::decoded) return attempt;
    reading.attempts = attempt.attempts;
    reading.false_identity_bound = attempt.false_identity_bound;
    return reading;
}


Reading read(const Surface& topography, const ReadOptions& options, const Catalog& catalog, FeatureMap* map_out) {
    StageClock clock;
    const FeatureMap map = feature_map(topography);
    if (map_out) *map_out = map;
    clock.lap("feature_map");
    LocateOptions locate;
    locate.min_px_per_um = options.min_pin_scale / map.um_per_px;
    locate.max_px_per_um = options.max_pin_scale / map.um_per_px;
    Reading reading;
    if (!options.look_for_ring) {
        reading.um_per_px = map.um_per_px;
        reading.failure = std::string(ring_not_sought);
        read_other_designs(reading, design_relief(map), locate, options, catalog);
        clock.lap("other_designs");
        reading.stage_ms = clock.laps();
        return reading;
    }
    if (options.quick_look) {
        LocateOptions quick_locate = locate;
        quick_locate.quick = true;
        reading = ::microstamp::locate(map, quick_locate, options);
        if (reading.placement) decode_at(map, *reading.placement, options, catalog, reading);
        clock.lap("quick_ring");
    }
    if (reading.status != ReadStatus::decoded) {
        const int quick_attempts = reading.attempts;
        reading = read(map, locate, options, catalog);
        count_earlier_attempts(reading, quick_attempts);
        clock.lap("ring");
    }
    if (!options.designs.empty() && (reading.status != ReadStatus::decoded || options.designs_alongside_ring)) {
        read_other_designs(reading, design_relief(map), locate, options, catalog);
        clock.lap("other_designs");
    }
    reading.stage_ms = clock.laps();
    return reading;
}

namespace {

// How far from a ring's centre its relief is recovered: out to the outer finder's blank
// band, with room for refine_placement's search.
double code_radius_px(double px_per_um) { return (FaceGeometry{}.ring_outer_finder_um[1] + 40) * px_per_um; }

// A worn ring's outer finder fades first and the cells' edges soften, so edge contrast
// can place the finders 10% off in scale; the relief recovered from the shading around
// where they were sought shows them with their sign, and they are sought again on it.
std::optional<RingPlacement> locate_on_relief(const FeatureMap& shading, const RingPlacement& sought,
                                              const LocateOptions& locate_options, const ReadOptions& options) {
    const LightEstimate light = estimate_light(shading, sought);
    if (light.directionality < options.min_light_directionality) return std::nullopt;
    // Room for a ring of the largest scale the search allows.
    FeatureMap relief = relief_from_shading(shading, light.azimuth, {sought.centre_column, sought.centre_row},
                                            code_radius_px(locate_options.max_px_per_um));
    std::optional<RingPlacement> best;
    for (int sign : {1, -1}) {
        if (sign < 0) relief.values = -relief.values;
        const auto found = locate_ring(relief, locate_options);
        if (found && (!best || found->finder_score > best->finder_score)) best = found;
    }
    if (!best || best->finder_score < options.min_finder_score) return std::nullopt;
    return best;
}

bool same_placement(const RingPlacement& a, const RingPlacement& b) {
    return std::hypot(a.centre_column - b.centre_column, a.centre_row - b.centre_row) < 2 &&
           std::fabs(a.px_per_um / b.px_per_um - 1) < 0.01;
}

// The relief of a photograph's shading around a located ring, with the sign that makes
// its finder circles stand up (the shading gives the light's axis, not its side).
FeatureMap relief_around(const FeatureMap& shading, const RingPlacement& located, double light_azimuth) {
    FeatureMap relief = relief_from_shading(shading, light_azimuth, {located.centre_column, located.centre_row},
                                            code_radius_px(located.px_per_um));
    if (finder_polarity(relief, located) < 0) relief.values = -relief.values;
    return relief;
}

// Decodes where the sync cells agree best near `start` (climb_on_sync_cells), on the
// relief and on it turned over: a worn finder's rounded ridge, turned over, can leave a
// higher finder contrast 3% further out than the true sign does, and then the finders'
// sign is the wrong one; the sync pattern agrees only on the true sign.
// `stage` names the laps (and `stage`_turned_over).
bool decode_climbed(const FeatureMap& relief, const RingPlacement& start, const ReadOptions& options, const Catalog& catalog,
                    std::string_view stage, StageClock& clock, Reading& reading) {
    for (const bool turned_over : {false, true}) {
        FeatureMap signed_relief = relief;
        if (turned_over) signed_relief.values = cv::Mat(-relief.values);  // new pixels: the relief stays as it is
        decode_at(signed_relief, climb_on_sync_cells(signed_relief, start), options, catalog, reading);
        clock.lap(turned_over ? fmt::format("{}_turned_over", stage) : std::string(stage));
        if (reading.status == ReadStatus::decoded) return true;
    }
    return false;
}

// How hard a read of a photograph's shading tries: a quick look searches one centre per
// kind of vote peak, climbs no further than the search's grid and decodes where it
// located (each attempt counted like any other); a thorough read does all of it.
enum class Effort { quick, thorough };

// What the strategies of one read of a photograph's shading share: the maps, where the
// ring was located, the light, and the relief once a strategy has asked for it.
struct ShadingRead {
    const FeatureMap& shading;
    const FeatureMap& energy;
    const ReadOptions& options;
    const Catalog& catalog;
    const LocateOptions& locate_options;
    StageClock& clock;
    std::string_view prefix;          // of every lap: "quick_" for a quick look
    bool quick = false;
    bool located_on_relief = false;  // the placement already came from the relief
    RingPlacement located;            // where the finder circles were found
    LightEstimate light;
    RingPlacement refined;            // the placement refined on the relief (refine_placement)
    std::optional<FeatureMap> relief_map;

    void lap(std::string_view stage) { clock.lap(fmt::format("{}{}", prefix, stage)); }
    bool directional() const { return light.directionality >= options.min_light_directionality; }
    // The relief around the located ring, recovered at the first strategy that needs it.
    const FeatureMap& relief() {
        if (!relief_map) {
            relief_map = relief_around(shading, located, light.azimuth);
            lap("relief");
        }
        return *relief_map;
    }
};

// One way of reading the ring on a photograph: when it may run, what it costs, and the
// attempt itself, which decodes into `reading` (adding to its decode attempts).
struct ShadingStrategy {
    std::string_view name;
    std::string_view runs_when;
    std::string_view cost;
    bool (*runs)(const ShadingRead& read);
    void (*attempt)(ShadingRead& read, Reading& reading);
};

// The one place that says in what order a photograph is tried. The first strategy that
// runs decodes into the reading itself, so its result stands even when it fails (the
// later ones build on it); each later one works on a copy that replaces the reading only
// if it decodes, and otherwise leaves its decode attempts counted. The first to decode
// ends the read. Costs are per strategy on a 1000-pixel photograph at 2.5 um working
// pixels (docs/read.md, Figures).
constexpr std::array<ShadingStrategy, 7> shading_strategies = {{
    {"edge_energy_under_even_light",
     "the light is too even to integrate along (directionality below min_light_directionality): a ring light",
     "one decode on the edge contrast",
     [](const ShadingRead& read) { return !read.directional(); },
     [](ShadingRead& read, Reading& reading) {
         decode_at(read.energy, read.located, read.options, read.catalog, reading);
         read.lap("decode_edge_energy");
     }},
    {"relief_where_located",
     "a quick look under a side light: the shading's relief, decoded where the finders were found",
     "the relief's recovery and one decode",
     [](const ShadingRead& read) { return read.quick && read.directional(); },
     [](ShadingRead& read, Reading& reading) {
         decode_at(read.relief(), read.located, read.options, read.catalog, reading);
         read.lap("decode_relief");
     }},
    {"relief_refined",
     "a thorough read under a side light: the placement refined on the relief, then decoded",
     "the relief's recovery, a refinement search and one decode",
     [](const ShadingRead& read) { return !read.quick && read.directional(); },
     [](ShadingRead& read, Reading& reading) {
         const FeatureMap& relief = read.relief();
         read.refined = refine_placement(relief, read.located);
         read.lap("refine");
         decode_at(relief, read.refined, read.options, read.catalog, reading);
         read.lap("decode_relief");
     }},
    {"climbed_on_sync_cells",
     "after relief_refined: where the sync cells agree best near the refined placement, on the relief and turned over",
     "two climbs and two decodes",
     [](const ShadingRead& read) { return !read.quick && read.directional(); },
     [](ShadingRead& read, Reading& reading) {
         decode_climbed(read.relief(), read.refined, read.options, read.catalog, "decode_climbed_on_sync_cells", read.clock,
                        reading);
     }},
    // Edge contrast may have found finders that are not there (a worn outer finder, 10%
    // small, out of the climb's reach): where the relief's own finders lie elsewhere,
    // climb from there too.
    {"relocated_on_relief",
     "after the climb, when the finders were located on edge contrast: sought again on the relief, climbed from "
     "there if they lie elsewhere",
     "a ring search on the relief; if it moves, a second relief, two climbs and two decodes",
     [](const ShadingRead& read) { return !read.quick && read.directional() && !read.located_on_relief; },
     [](ShadingRead& read, Reading& reading) {
         const auto found = locate_on_relief(read.shading, read.refined, read.locate_options, read.options);
         read.lap("locate_on_relief");
         if (!found || same_placement(*found, read.refined)) return;
         decode_climbed(relief_around(read.shading, *found, estimate_light(read.shading, *found).azimuth), *found, read.options,
                        read.catalog, "decode_relocated_on_relief", read.clock, reading);
     }},
    {"edge_energy_second_opinion",
     "a thorough read whose relief did not decode: the edge contrast where the finders were found",
     "one decode",
     [](const ShadingRead& read) { return !read.quick && read.directional(); },
     [](ShadingRead& read, Reading& reading) {
         decode_at(read.energy, read.located, read.options, read.catalog, reading);
         read.lap("decode_edge_energy");
     }},
    // Each too unsure alone (a dragged sector, a darkened side, a blot): the two maps'
    // soft values at the relief's placement, added, so that a cell either shows clearly
    // counts and a cell they disagree on is left unsure.
    {"relief_and_edge_energy_added",
     "last: the relief's soft cells (as relief_refined sampled them) and the edge contrast's at the same placement, added",
     "one sampling and one decode",
     [](const ShadingRead& read) { return !read.quick && read.directional(); },
     [](ShadingRead& read, Reading& reading) {
         const RingSample relief_sample{*reading.observation, reading.erased_sectors, 0};
         const RingSample energy_sample = sample_ring(read.energy, *reading.placement);
         RingPhase added{*reading.placement, relief_sample, 0};
         for (std::size_t symbol = 0; symbol < added.sample.observation.cells.size(); ++symbol)
             for (std::size_t cell = 0; cell < added.sample.observation.cells[symbol].size(); ++cell) {
                 float& value = added.sample.observation.cells[symbol][cell];
                 value = std::clamp(value + energy_sample.observation.cells[symbol][cell], -1.0f, 1.0f);
             }
         added.sample.erased_sectors = std::min(relief_sample.erased_sectors, energy_sample.erased_sectors);
         decode_phase(read.relief(), added, read.options, read.catalog, reading);
         reading.feature = "relief+edge_energy";
         read.lap("decode_both");
     }},
}};

// `located`: where the ring was found already (on the same pixels), so that it is not sought again.
Reading read_shading(const FeatureMap& shading, double hint, const ReadOptions& options, const Catalog& catalog,
                     StageClock& clock, Effort effort = Effort::thorough, const std::optional<RingPlacement>& located_before = {}) {
    const bool quick = effort == Effort::quick;
    const std::string_view prefix = quick ? "quick_" : "";
    const auto lap = [&](std::string_view stage) { clock.lap(fmt::format("{}{}", prefix, stage)); };
    const FeatureMap energy = edge_energy(shading);
    lap("edge_energy");
    const LocateOptions locate_options = photograph_locate_options(shading.um_per_px, options, quick);
    Reading reading;
    if (located_before) {
        reading.um_per_px = shading.um_per_px;
        reading.placement = located_before;
        reading.pin_diameter_um = FaceGeometry{}.pin_diameter_um * located_before->px_per_um * shading.um_per_px;
    } else {
        reading = locate(energy, locate_options, options);
        lap("locate");
    }
    bool located_on_relief = false;
    if (!quick && reading.placement && reading.placement->finder_score < options.min_finder_score) {
        if (const auto found = locate_on_relief(shading, *reading.placement, locate_options, options)) {
            reading.placement = found;
            reading.pin_diameter_um = FaceGeometry{}.pin_diameter_um * found->px_per_um * shading.um_per_px;
            reading.failure.clear();
            located_on_relief = true;
        }
        lap("locate_on_relief");
    }
    if (reading.placement) reading.um_per_px = FaceGeometry{}.pin_diameter_um / reading.pin_diameter_um * hint;
    if (!reading.placement || reading.status != ReadStatus::unreadable || !reading.failure.empty()) return reading;
    // Under a low side light the shading gives back the relief with its sign, which
    // tells a printed cell from a flat one far better than edge contrast can; under a
    // ring light there is no direction to integrate along and edge contrast is all there is.
    ShadingRead read{shading, energy, options, catalog, locate_options, clock, prefix, quick, located_on_relief,
                     *reading.placement, {}, {}, std::nullopt};
    read.light = estimate_light(shading, read.located);
    reading.light_directionality = read.light.directionality;
    bool first = true;
    for (const ShadingStrategy& strategy : shading_strategies) {
        if (!strategy.runs(read)) continue;
        if (first) {
            strategy.attempt(read, reading);
            first = false;
        } else {
            Reading attempt = reading;
            strategy.attempt(read, attempt);
            if (attempt.status == ReadStatus::decoded) return attempt;
            reading.attempts = attempt.attempts;
            reading.false_identity_bound = attempt.false_identity_bound;
        }
        if (reading.status == ReadStatus::decoded) return reading;
    }
    return reading;
}


} // namespace

Reading read(const Image& photograph, const ReadOptions& options, const Catalog& catalog) {
    double hint = options.um_per_px > 0 ? options.um_per_px : photograph.um_per_px;
    if (!(hint > 0))
        throw InputError("the photograph's scale is unknown: give the microscope calibration (--um-per-px)");
    if (hint > 50 || hint < 0.05)
        throw InputError(fmt::format("a scale of {} um per pixel is not a microscope's (0.05..50)", hint));
    StageClock clock;
    if (!options.look_for_ring) {
        Reading reading;
        reading.um_per_px = hint;
        reading.failure = std::string(ring_not_sought);
        read_other_designs(reading, design_relief(photograph, hint), photograph_locate_options(hint, options), options, catalog);
        clock.lap("other_designs");
        reading.stage_ms = clock.laps();
        return reading;
    }
    // Geometry in the photograph's own pixels, whatever pixels the reading worked on.
    const auto in_photograph_pixels = [&](Reading& reading, double working_um_per_px) {
        if (!reading.placement) return;
        const double to_photograph = working_um_per_px / hint;
        reading.placement->centre_column = (reading.placement->centre_column + 0.5) * to_photograph - 0.5;
        reading.placement->centre_row = (reading.placement->centre_row + 0.5) * to_photograph - 0.5;
        reading.placement->px_per_um *= to_photograph;
    };
    // Most casings read at a coarse pixel with one centre searched: a quick look first,
    // the thorough read only if it did not decode (its attempts still counted).
    int quick_attempts = 0;
    if (options.quick_look) {
        const FeatureMap coarse = quick_shading_detail(photograph, hint, 25, options.quick_look_um_per_px);
        clock.lap("quick_shading");
        Reading quick = read_shading(coarse, hint, options, catalog, clock, Effort::quick);
        if (quick.status == ReadStatus::decoded) {
            in_photograph_pixels(quick, coarse.um_per_px);
            if (options.designs_alongside_ring) {
                read_other_designs(quick, design_relief(photograph, hint), photograph_locate_options(hint, options), options, catalog);
                clock.lap("other_designs");
            }
            quick.stage_ms = clock.laps();
            return quick;
        }
        quick_attempts = quick.attempts;
    }
    FeatureMap shading = shading_detail(photograph, hint, 25, options.working_um_per_px);
    clock.lap("shading");
    Reading reading = read_shading(shading, hint, options, catalog, clock);
    count_earlier_attempts(reading, quick_attempts);
    // A hint far off made the working pixels coarser than meant: with the scale the
    // finder circles measured, average the photograph down again and read once more.
    if (reading.status != ReadStatus::decoded && reading.placement && reading.placement->finder_score >= options.min_finder_score &&
        reading.um_per_px > hint * 1.15) {
        const int attempts = reading.attempts;
        shading = shading_detail(photograph, reading.um_per_px, 25, options.working_um_per_px);
        clock.lap("shading_at_measured_scale");
        Reading again = read_shading(shading, reading.um_per_px, options, catalog, clock);
        count_earlier_attempts(again, attempts);
        if (again.status == ReadStatus::decoded || again.erasures < reading.erasures) {
            reading = std::move(again);
            hint = reading.um_per_px;
        }
    }
    // A noisy photograph (grain, a high gain): its single pixels say little, so it is read
    // again from its shading averaged over part of a cell, for locating and sampling alike.
    const double noise = reading.status != ReadStatus::decoded ? pixel_noise(shading) : 0.0;
    if (reading.status != ReadStatus::decoded) {
        if (noise > options.min_smoothing_noise) {
            const int attempts = reading.attempts;
            // Its saturated pixels are mostly the noise's tails: kept, unless they cover an area.
            const FeatureMap averaged =
                smoothed(shading_detail(photograph, hint, 25, options.working_um_per_px, SaturatedPixels::known_where_scattered),
                         options.smoothing_um);
            clock.lap("smoothed_shading");
            // Located on the pixels as they are where that found finder circles (the circles
            // are long enough to stand out of the noise; averaged, the noise's own blobs
            // outvote them), else on the averaged shading.
            const bool located = reading.placement && reading.placement->finder_score >= options.min_finder_score;
            Reading again = read_shading(averaged, hint, options, catalog, clock, Effort::thorough,
                                         located ? reading.placement : std::nullopt);
            count_earlier_attempts(again, attempts);
            const bool found_ring = again.placement && again.placement->finder_score >= options.min_finder_score;
            if (again.status == ReadStatus::decoded || (reading.status != ReadStatus::partial && found_ring && again.status == ReadStatus::partial))
                reading = std::move(again);
            else {
                reading.attempts = again.attempts;
                reading.false_identity_bound = again.false_identity_bound;
            }
        }
    }
    // The designs' relief of the photograph, made once for whichever of the crater's
    // texture and the other designs' readers needs it (it costs tens of milliseconds).
    std::optional<DesignRelief> relief;
    const auto photograph_relief = [&]() -> const DesignRelief& {
        if (!relief) relief = design_relief(photograph, hint);
        return *relief;
    };
    const LocateOptions locate = photograph_locate_options(hint, options);
    if (reading.status == ReadStatus::unreadable && reading.placement && reading.placement->finder_score < options.min_finder_score) {
        classify_blank_photograph(photograph_relief(), hint, shading, noise, locate, options, reading);
        clock.lap("blank_impression");
    }
    in_photograph_pixels(reading, shading.um_per_px);
    if (!options.designs.empty() && (reading.status != ReadStatus::decoded || options.designs_alongside_ring)) {
        read_other_designs(reading, photograph_relief(), locate, options, catalog);
        clock.lap("other_designs");
    }
    reading.stage_ms = clock.laps();
    return reading;
}

namespace {

nlohmann::json identity_json(const Identity& identity, double confidence) {
    return {{"manufacturer", identity.manufacturer},
            {"model", identity.model},
            {"serial", identity.serial},
            {"manufacturer_code", identity.manufacturer_code},
            {"model_code", identity.model_code},
            {"field_confidence", {{"manufacturer", confidence}, {"model", confidence}, {"serial", confidence}}}};
}

nlohmann::json stamp_fields_json(const PayloadFields& fields) {
    return {{"manufacturer_code", fields.manufacturer_code}, {"model_code", fields.model_code}, {"serial", fields.serial}};
}

nlohmann::json location_json(const LocationReading& location) {
    nlohmann::json json = {{"location", location.location},
                           {"status", status_name(location.status)},
                           {"design", design_name(location.design)},
                           {"false_identity_bound", location.false_identity_bound}};
    if (location.identity) json["identity"] = identity_json(*location.identity, 1.0 - location.false_identity_bound);
    else if (location.fields) json["stamp_fields"] = stamp_fields_json(*location.fields);
    if (!location.failure.empty()) json["failure"] = location.failure;
    return json;
}

} // namespace

nlohmann::json to_json(const Reading& reading) {
    nlohmann::json json = {{"status", status_name(reading.status)},
                           {"design", design_name(reading.design)},
                           {"confidence", reading.confidence},
                           {"false_identity_bound", reading.false_identity_bound},
                           {"unused_capacity", reading.unused_capacity},
                           {"parity_symbols", ring_parity_symbols},
                           {"decision_margin", reading.decision_margin},
                           {"errors", reading.errors},
                           {"erasures", reading.erasures},
                           {"erased_sectors", reading.erased_sectors},
                           {"decode_attempts", reading.attempts},
                           {"sync_agreement", reading.sync_agreement},
                           {"sync_margin", reading.sync_margin}};
    if (reading.identity) json["identity"] = identity_json(*reading.identity, reading.confidence);
    else if (reading.fields) json["stamp_fields"] = stamp_fields_json(*reading.fields);
    if (!reading.locations.empty()) {
        json["locations"] = nlohmann::json::array();
        for (const LocationReading& location : reading.locations) json["locations"].push_back(location_json(location));
    }
    if (reading.placement)
        json["geometry"] = {{"centre_px", {reading.placement->centre_column, reading.placement->centre_row}},
                            {"px_per_um", reading.placement->px_per_um},
                            {"rotation_deg", reading.rotation_deg},
                            {"pin_diameter_um", reading.pin_diameter_um},
                            {"um_per_px", reading.um_per_px},
                            {"finder_score", reading.placement->finder_score},
                            {"grid_score", reading.placement->grid_score},
                            {"feature", reading.feature},
                            {"light_directionality", reading.light_directionality}};
    if (reading.texture_ratio > 0)
        json["blank_impression"] = {{"texture_ratio", reading.texture_ratio},
                                    {"scratch_coherence", reading.scratch_coherence},
                                    {"unmeasured_share", reading.unmeasured_share}};
    if (!reading.failure.empty()) json["failure"] = reading.failure;
    if (!reading.leads.empty()) {
        json["leads"] = nlohmann::json::array();
        const Catalog& catalog = default_catalog();
        for (const RingLead& lead : reading.leads) {
            nlohmann::json entry = {{"manufacturer_code", lead.manufacturer_code},
                                    {"model_code", lead.model_code},
                                    {"serial_pattern", lead.serial_pattern},
                                    {"likelihood", lead.likelihood},
                                    {"payload_bytes_read", lead.bytes_read}};
            if (const Model* model = catalog.find_model(lead.manufacturer_code, lead.model_code)) {
                entry["model"] = model->name;
                if (const Manufacturer* maker = catalog.find_manufacturer(lead.manufacturer_code)) entry["manufacturer"] = maker->name;
            }
            json["leads"].push_back(entry);
        }
    }
    if (!reading.stage_ms.empty()) {
        json["timings_ms"] = nlohmann::json::object();
        double total = 0;
        for (const auto& [stage, milliseconds] : reading.stage_ms) {
            json["timings_ms"][stage] = json["timings_ms"].value(stage, 0.0) + milliseconds;
            total += milliseconds;
        }
        json["timings_ms"]["total"] = total;
    }
    if (!reading.designs.empty()) {
        json["designs"] = nlohmann::json::array();
        for (const DesignReading& design : reading.designs) json["designs"].push_back(to_json(design));
    }
    return json;
}

} // namespace microstamp

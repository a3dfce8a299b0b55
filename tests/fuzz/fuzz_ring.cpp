// The ring decoder fed arbitrary soft cells, as a reader that sampled anything at all
// would hand them over: each byte a soft value in [-1, 1], or (first byte odd) raw
// float bits, NaN and infinities included. A decode must be a catalogued identity's,
// and the sync, leads and decode must never trip the sanitizers.

#include "code/ring.hpp"
#include "fuzz_support.hpp"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    using microstamp::ring_cells_per_symbol;
    using microstamp::ring_symbols;
    microstamp::RingObservation observation;
    const bool raw_floats = (data[0] & 1) != 0;
    const std::uint8_t* next = data + 1;
    std::size_t left = size - 1;
    for (int symbol = 0; symbol < ring_symbols; ++symbol)
        for (int cell = 0; cell < ring_cells_per_symbol; ++cell) {
            float value = 0;  // cells past the input are unknown
            if (raw_floats && left >= sizeof value) {
                std::memcpy(&value, next, sizeof value);
                next += sizeof value;
                left -= sizeof value;
            } else if (!raw_floats && left >= 1) {
                value = static_cast<float>(*next - 128) / 127.0f;
                ++next;
                --left;
            }
            observation.cells[static_cast<std::size_t>(symbol)][static_cast<std::size_t>(cell)] = value;
        }
    microstamp::fuzz::parse_or_refuse([&] {
        const microstamp::RingDecoding decoding = microstamp::decode_ring(observation);
        if (decoding.status == microstamp::RingStatus::decoded && !decoding.fields)
            microstamp::fuzz::finding("a decoded ring without its fields");
        if (decoding.unused_capacity < 0 && decoding.status == microstamp::RingStatus::decoded)
            microstamp::fuzz::finding("a ring decoded beyond its correction capacity");
        (void)microstamp::ring_sync_agreement(observation);
        for (const microstamp::RingLead& lead : microstamp::ring_leads(observation))
            if (!(lead.likelihood >= 0 && lead.likelihood <= 1.0000001)) microstamp::fuzz::finding("a lead's likelihood outside 0..1");
    });
    return 0;
}

// Fuzz target: the consumers' event decoder (wire/decoder.hpp) on arbitrary bytes, laid out as
// the reader lays them out (the document, then padding that holds other bytes). Checks that an
// accepted event's text fields point into the document or the strings buffer, and that the
// strings buffer never reallocates (the decoder's promise to the batch).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "wire/decoder.hpp"

using namespace hsm::consume;
namespace wire = hsm::wire;

namespace {

bool inside(std::string_view part, const std::string& whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static wire::Decoder decoder;  // reused across inputs, as the reader reuses one per batch
    std::string json(reinterpret_cast<const char*>(data), size);
    json.append(wire::kJsonPadding, '}');  // padding is readable but holds anything
    std::string strings;
    strings.reserve(size);
    const char* const strings_at = strings.data();
    Event e;
    const wire::DecodeResult r = decoder.decode(json.data(), size, strings, e);
    if (strings.data() != strings_at || strings.size() > size) std::abort();
    if (wire::to_string(r.status).empty()) std::abort();
    if (r.ok()) {
        for (std::string_view field : {e.mdt, e.fid, e.action, e.status, e.action_key, e.source})
            if (!inside(field, strings) && !inside(field, json)) std::abort();
        if (e.data.data() != json.data() || e.data.size() != size) std::abort();
        if (!e.has_index && !(e.type == EventType::Purged && !e.action_key.empty())) std::abort();
    }
    return 0;
}

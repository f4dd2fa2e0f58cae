// Realistic stream entries for the consumer benchmarks: the JSON our shipper writes for a
// record's life (NEW WAITING, UPDATE STARTED, PURGED), with a full-length `raw` line.
#pragma once

#include <cstdint>
#include <string>

namespace hsm::bench {

inline std::string fid_of(std::uint32_t rec) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "0x2c000596f:0x%x:0x0", rec);
    return buf;
}

inline std::string event_json(const std::string& mdt, std::uint32_t rec, const char* type, const char* status,
                              std::int64_t ts = 1759619143) {
    const std::string fid = fid_of(rec);
    const std::string idx = "517/" + std::to_string(rec);
    std::string j = "{\"event_type\": \"" + std::string(type) + "\", \"mdt\": \"" + mdt +
                    "\", \"cat_idx\": 517, \"rec_idx\": " + std::to_string(rec) + ", \"fid\": \"" + fid +
                    "\", \"action\": \"ARCHIVE\", \"status\": \"" + status + "\", \"timestamp\": " +
                    std::to_string(ts) + ", \"action_key\": \"" + fid + ":ARCHIVE\"";
    if (std::string(type) == "PURGED")
        j += ", \"hash\": \"3b5d3c7d207e37dc\"";
    else
        j += ", \"raw\": \"lrh=[type=10680000 len=192 idx=" + idx + "] fid=[" + fid + "] dfid=[" + fid +
             "] compound/cookie=0x0/0x6912db05 action=ARCHIVE archive#=1 flags=0x0 "
             "extent=0x0-0xffffffffffffffff gid=0x0 datalen=50 status=" + status + " data=[7461673D6D]\", "
             "\"hash\": \"3b5d3c7d207e37dc\"";
    return j + "}";
}

}  // namespace hsm::bench

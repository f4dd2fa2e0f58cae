// One record -> one hsm/actions line, byte for byte as the kernel's seq_printf writes it
// (docs/lustre-actions.md). Hand-written number conversion instead of snprintf: rendering a
// million-line file is a benchmark input, and snprintf would dominate it.
#include <algorithm>
#include <cstring>

#include "sim/simulator.hpp"

namespace hsm::sim {

namespace {

// LLOG_AGENT_REQ_REC, the llog record type of every HSM action record; printed with %X.
constexpr std::uint32_t kAgentReqRecType = 0x10680000;
// sizeof(llog_agent_req_rec) without data: llog_rec_hdr 16 + status, archive id, flags,
// compound id, create and change times 40 + hsm_action_item 72 + llog_rec_tail 8.
constexpr std::uint32_t kRecordOverhead = 136;
// llog records are padded to 8 bytes.
constexpr std::uint32_t kRecordAlign = 8;

// Appends text and numbers at a cursor. The caller guarantees room (kMaxLineLength).
class Cursor {
public:
    explicit Cursor(char* out) : begin_(out), p_(out) {}
    std::size_t length() const { return static_cast<std::size_t>(p_ - begin_); }

    Cursor& text(std::string_view s) {
        std::memcpy(p_, s.data(), s.size());
        p_ += s.size();
        return *this;
    }
    Cursor& dec(std::uint64_t v) {
        char tmp[20];  // 2^64 has 20 decimal digits
        int n = 0;
        do {
            tmp[n++] = static_cast<char>('0' + v % 10);
        } while ((v /= 10) != 0);
        while (n > 0) *p_++ = tmp[--n];
        return *this;
    }
    // Kernel %#llx prints "0x0" for zero (unlike glibc's "0"), so the prefix is unconditional.
    Cursor& hex(std::uint64_t v, bool upper = false, bool prefix = true) {
        const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        char tmp[16];  // 64 bits are 16 hex digits
        int n = 0;
        do {
            tmp[n++] = digits[v & 0xf];
        } while ((v >>= 4) != 0);
        if (prefix) text("0x");
        while (n > 0) *p_++ = tmp[--n];
        return *this;
    }
    Cursor& fid(const Fid& f) {  // DFID: "[%#llx:0x%x:0x%x]"
        return text("[").hex(f.seq).text(":").hex(f.oid).text(":").hex(f.ver).text("]");
    }
    Cursor& data(const Record& r) {  // hai_dump_data_field: "%.2X" per shown byte
        const std::size_t shown = std::min<std::size_t>(r.datalen, r.data.size());
        for (std::size_t i = 0; i < shown; ++i) {
            if (r.data[i] < 0x10) *p_++ = '0';
            hex(r.data[i], true, false);
        }
        return *this;
    }

private:
    char* begin_;
    char* p_;
};

std::size_t format_kernel(const Record& r, char* out) {
    Cursor c(out);
    c.text("lrh=[type=").hex(kAgentReqRecType, true, false);
    c.text(" len=").dec(record_length(r.datalen));
    c.text(" idx=").dec(r.catalog_slot).text("/").dec(r.record_index);
    c.text("] fid=").fid(r.fid).text(" dfid=").fid(r.dfid);
    c.text(" compound/cookie=").hex(r.compound_id).text("/").hex(r.cookie);
    c.text(" action=").text(name(r.action));
    c.text(" archive#=").dec(r.archive_id);
    c.text(" flags=").hex(r.flags);
    c.text(" extent=").hex(r.extent_offset).text("-").hex(r.extent_length);
    c.text(" gid=").hex(r.gid);
    c.text(" datalen=").dec(r.datalen);
    c.text(" status=").text(name(r.status));
    c.text(" data=[").data(r).text("]");
    return c.length();
}

// The Python version's test format: few fields, idx in brackets, no lrh=[...].
std::size_t format_short(const Record& r, char* out) {
    Cursor c(out);
    c.text("idx=[").dec(r.catalog_slot).text("/").dec(r.record_index).text("]");
    c.text(" action=").text(name(r.action));
    c.text(" fid=").fid(r.fid);
    c.text(" status=").text(name(r.status));
    return c.length();
}

}  // namespace

std::string_view name(Action action) {
    switch (action) {
        case Action::Noop: return "NOOP";
        case Action::Archive: return "ARCHIVE";
        case Action::Restore: return "RESTORE";
        case Action::Remove: return "REMOVE";
        case Action::Cancel: return "CANCEL";
        case Action::Unknown: break;
    }
    return "UNKNOWN";
}

std::string_view name(Status status) {
    switch (status) {
        case Status::Waiting: return "WAITING";
        case Status::Started: return "STARTED";
        case Status::Succeed: return "SUCCEED";
        case Status::Failed: return "FAILED";
        case Status::Canceled: return "CANCELED";
        case Status::Unknown: break;
    }
    return "UNKNOWN";
}

bool is_final(Status status) {
    return status == Status::Succeed || status == Status::Failed || status == Status::Canceled;
}

std::uint32_t record_length(std::uint32_t datalen) {
    return (kRecordOverhead + datalen + kRecordAlign - 1) / kRecordAlign * kRecordAlign;
}

std::size_t format_line(const Record& record, LineFormat format, char* out) {
    return format == LineFormat::Short ? format_short(record, out) : format_kernel(record, out);
}

std::string format_line(const Record& record, LineFormat format) {
    char buf[kMaxLineLength];
    return std::string(buf, format_line(record, format, buf));
}

std::string mdt_name(std::string_view fsname, std::uint32_t mdt_index) {
    // Lustre names targets with 4 lowercase hex digits: MDT0000 ... MDT000a ...
    char digits[9];
    Cursor c(digits);
    c.hex(mdt_index, false, false);
    const std::string hex(digits, c.length());
    return std::string(fsname) + "-MDT" + std::string(hex.size() < 4 ? 4 - hex.size() : 0, '0') +
           hex;
}

std::filesystem::path actions_path(const std::filesystem::path& root, std::string_view fsname,
                                   std::uint32_t mdt_index) {
    return root / mdt_name(fsname, mdt_index) / "hsm" / "actions";
}

}  // namespace hsm::sim

// The snapshot half of the checkpoint (checkpoint.hpp; docs/checkpoint.md): binary and
// fixed-layout so that a million records cost one sequential ~70 MB write and no parsing. It is
// written rarely (SnapshotPolicy): the stream, replayed from the stamps below, carries the
// changes in between. Written through a 1 MiB buffer with a streaming checksum, so saving costs
// no memory proportional to the state.
//
// Layout (little-endian, the host's): "HSMSHIP1" | u32 version | u32 mdt count | per MDT:
//   u16 name length, name, u64 newest_written ms, u64 seq (the stamp: the newest entry this
//   snapshot covers), u64 record count, then per record:
//   u64 key, u64 hash, u64 id ms, u64 id seq, u32 first_seen, u16 fid length, fid, u16 action
//   length, action
// | u64 XXH3-64 of everything before it. Any mismatch means "no usable checkpoint". Unchanged
// since 0.4.0, whose checkpoints therefore load as they are.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string_view>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "services/file_output.hpp"
#include "shipper/checkpoint.hpp"

namespace hsm::shipper {

namespace {

constexpr char kMagic[8] = {'H', 'S', 'M', 'S', 'H', 'I', 'P', '1'};
constexpr std::uint32_t kVersion = 1;

// The step named by HSM_TEST_CHECKPOINT_KILL (checkpoint.hpp), read once; empty when unset.
const std::string& kill_step() {
    static const std::string step = [] {
        const char* v = std::getenv(kCheckpointKillEnv);
        return std::string(v ? v : "");
    }();
    return step;
}

void maybe_die_at(std::string_view step) {
    if (!kill_step().empty() && kill_step() == step) ::kill(::getpid(), SIGKILL);
}

// Buffered writer that checksums what it writes; write errors are remembered, not thrown.
class Writer {
public:
    Writer(int fd, SaveFaults* faults) : fd_(fd), faults_(faults) {
        XXH3_64bits_reset(&hash_);
        buf_.reserve(kBufferBytes);
    }
    template <class T> void put(T v) { bytes(reinterpret_cast<const char*>(&v), sizeof v); }
    // Text longer than a u16 cannot come from a parsed line (lines are at most 4 KiB).
    void text(std::string_view s) {
        const std::size_t n = std::min<std::size_t>(s.size(), 0xffff);
        put<std::uint16_t>(static_cast<std::uint16_t>(n));
        bytes(s.data(), n);
    }
    void bytes(const char* p, std::size_t n) {
        XXH3_64bits_update(&hash_, p, n);
        buf_.append(p, n);
        if (buf_.size() >= kBufferBytes) flush();
    }
    // Appends the checksum of everything written and flushes; false on any write error.
    bool finish() {
        const std::uint64_t sum = XXH3_64bits_digest(&hash_);
        buf_.append(reinterpret_cast<const char*>(&sum), sizeof sum);
        flush();
        return ok_;
    }

private:
    static constexpr std::size_t kBufferBytes = 1 << 20;
    void flush() {
        if (faults_ && ok_) {
            if (const int e = faults_->fail("write")) errno = e, ok_ = false;
        }
        std::size_t off = 0;
        // The "partial" kill (checkpoint.hpp): half of the first buffer written, then death, so
        // the temp file is torn even when the whole state fits in one buffer.
        const std::size_t stop_at = partial_pending_ ? buf_.size() / 2 : buf_.size();
        while (ok_ && off < stop_at) {
            const ssize_t n = ::write(fd_, buf_.data() + off, stop_at - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) ok_ = false;
            else off += static_cast<std::size_t>(n);
        }
        if (partial_pending_) maybe_die_at("partial");
        partial_pending_ = false;
        while (ok_ && off < buf_.size()) {
            const ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) ok_ = false;
            else off += static_cast<std::size_t>(n);
        }
        buf_.clear();
    }
    bool partial_pending_ = kill_step() == "partial";
    int fd_;
    SaveFaults* faults_;
    bool ok_ = true;
    std::string buf_;
    XXH3_state_t hash_;
};

class Cursor {
public:
    explicit Cursor(std::string_view data) : data_(data) {}
    template <class T> bool get(T& v) {
        if (data_.size() - pos_ < sizeof v) return false;
        std::memcpy(&v, data_.data() + pos_, sizeof v);
        pos_ += sizeof v;
        return true;
    }
    bool text(std::size_t n, std::string_view& out) {
        if (data_.size() - pos_ < n) return false;
        out = data_.substr(pos_, n);
        pos_ += n;
        return true;
    }
    bool done() const { return pos_ == data_.size(); }
    std::size_t remaining() const { return data_.size() - pos_; }

private:
    std::string_view data_;
    std::size_t pos_ = 0;
};

bool serialize(const StateTable& state, int fd, SaveFaults* faults) {
    maybe_die_at("begin");
    Writer w(fd, faults);
    w.bytes(kMagic, sizeof kMagic);
    w.put(kVersion);
    w.put<std::uint32_t>(static_cast<std::uint32_t>(state.slots()));
    for (std::uint32_t s = 0; s < state.slots(); ++s) {
        const MdtState& mdt = state.at(s);
        w.text(mdt.name());
        w.put(mdt.newest_written.ms);
        w.put(mdt.newest_written.seq);
        w.put<std::uint64_t>(mdt.size());
        mdt.for_each([&](RecordKey key, const LiveRecord& r) {
            w.put(key.packed());
            w.put(r.hash);
            w.put(r.id_ms);
            w.put(r.id_seq);
            w.put(r.first_seen);
            w.text(mdt.fid(key, r));
            w.text(mdt.action(key, r));
        });
    }
    return w.finish();
}

// The smallest a record can be on disk: a count that cannot fit in the rest of the file is a lie.
constexpr std::size_t kMinRecordBytes = 8 + 8 + 8 + 8 + 4 + 2 + 2;

bool parse(std::string_view data, StateTable& state, std::string& why) {
    if (data.size() < sizeof kMagic + 16 || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
        why = "not a shipper checkpoint (bad magic or too short)";
        return false;
    }
    std::uint64_t stored_sum = 0;
    std::memcpy(&stored_sum, data.data() + data.size() - 8, 8);
    const std::string_view body = data.substr(0, data.size() - 8);
    if (XXH3_64bits(body.data(), body.size()) != stored_sum) {
        why = "checksum mismatch (truncated or corrupt)";
        return false;
    }
    Cursor c(body.substr(sizeof kMagic));
    std::uint32_t version = 0, mdts = 0;
    if (!c.get(version) || version != kVersion) {
        why = "checkpoint version " + std::to_string(version) + ", expected " + std::to_string(kVersion);
        return false;
    }
    c.get(mdts);
    for (std::uint32_t m = 0; m < mdts; ++m) {
        std::uint16_t name_len = 0;
        std::string_view name;
        std::uint64_t count = 0;
        StreamId newest;
        if (!c.get(name_len) || !c.text(name_len, name) || !c.get(newest.ms) || !c.get(newest.seq) ||
            !c.get(count)) {
            why = "truncated MDT header";
            return false;
        }
        if (count > c.remaining() / kMinRecordBytes) {
            why = "record count larger than the file";
            return false;
        }
        MdtState& mdt = state.at(state.slot_of(std::string(name)));
        mdt.newest_written = newest;
        mdt.reserve(count);
        for (std::uint64_t i = 0; i < count; ++i) {
            std::uint64_t key = 0, hash = 0, ms = 0, seq = 0;
            std::uint32_t first_seen = 0;
            std::uint16_t fid_len = 0, action_len = 0;
            std::string_view fid, action;
            if (!c.get(key) || !c.get(hash) || !c.get(ms) || !c.get(seq) || !c.get(first_seen) ||
                !c.get(fid_len) || !c.text(fid_len, fid) || !c.get(action_len) ||
                !c.text(action_len, action)) {
                why = "truncated record";
                return false;
            }
            LiveRecord& r = mdt.upsert(RecordKey::unpack(key), fid, action);
            r.hash = hash;
            r.id_ms = ms;
            r.id_seq = seq;
            r.first_seen = first_seen;
        }
    }
    if (!c.done()) {
        why = "trailing bytes";
        return false;
    }
    return true;
}

}  // namespace

std::string foreign_checkpoint(const std::filesystem::path& path) {
    std::string why;
    const std::filesystem::path target = files::resolve_links(path, why);
    std::error_code ec;
    if (target.empty() || !std::filesystem::is_regular_file(target, ec)) return {};
    std::ifstream in(target, std::ios::binary);
    char head[sizeof kMagic] = {};
    in.read(head, sizeof head);
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) return {};  // an empty file holds nothing to lose
    if (got == sizeof kMagic && std::memcmp(head, kMagic, sizeof kMagic) == 0) return {};
    // The Python version's cache is a JSON object; say so, since that is the usual case.
    std::size_t i = 0;
    while (i < got && (head[i] == ' ' || head[i] == '\n' || head[i] == '\t' || head[i] == '\r')) ++i;
    if (i < got && head[i] == '{') return "a JSON file, probably the Python version's cache.json";
    return "not a hsm-action-shipper checkpoint";
}

bool save_checkpoint(const StateTable& state, const std::filesystem::path& path, std::string& why,
                     SaveFaults* faults) {
    // Refused before anything is written: rolling back to the Python version must find its cache.
    if (const std::string foreign = foreign_checkpoint(path); !foreign.empty()) {
        why = path.string() + " is " + foreign + "; not overwriting it";
        return false;
    }
    files::WriteOptions options;
    options.new_file_mode = 0600;
    options.durable = true;
    options.create_parents = true;
    if (!kill_step().empty()) options.on_step = maybe_die_at;
    if (faults) options.fail_call = [faults](std::string_view call) { return faults->fail(call); };
    return files::write_file(
        path,
        [&](int fd, std::string& w) {
            if (serialize(state, fd, faults)) return true;
            w = "cannot write the checkpoint beside " + path.string() + ": " + std::strerror(errno);
            return false;
        },
        options, why);
}

std::size_t remove_stale_temps(const std::filesystem::path& path) {
    std::string why;
    const std::filesystem::path target = files::resolve_links(path, why);
    if (target.empty() || !target.has_filename()) return 0;
    const std::string prefix = "." + target.filename().string() + ".";
    std::size_t removed = 0;
    std::error_code ec;
    const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() != prefix.size() + 8 || name.compare(0, prefix.size(), prefix) != 0) continue;
        bool ours = true;
        for (std::size_t i = prefix.size(); i < name.size(); ++i)
            ours &= std::isalnum(static_cast<unsigned char>(name[i])) != 0;
        std::error_code type_ec;
        if (!ours || !entry.is_regular_file(type_ec) || entry.is_symlink(type_ec)) continue;
        if (std::filesystem::remove(entry.path(), type_ec)) ++removed;
    }
    return removed;
}

bool load_checkpoint(StateTable& state, const std::filesystem::path& path, std::string& why) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        why = std::filesystem::exists(path, ec) ? path.string() + " is not a regular file"
                                                : "no checkpoint at " + path.string();
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    std::string data(std::filesystem::file_size(path, ec), '\0');
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    if (ec || !in || in.gcount() != static_cast<std::streamsize>(data.size())) {
        why = "cannot read " + path.string();
        return false;
    }
    StateTable loaded;
    if (!parse(data, loaded, why)) return false;
    state = std::move(loaded);
    return true;
}

}  // namespace hsm::shipper

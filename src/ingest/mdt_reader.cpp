// MdtReader: sequential reads into 1 MiB buffers that become batches as they are, so a line is
// fingerprinted (and, when the previous pass did not have it, parsed) in place and never copied; only a line cut by the buffer end moves to the next buffer.
// A buffer is allocated only when the previous one is handed over with lines (and then taken from
// the pool when the diff thread has returned one): a read that completes no line (a short read
// from a slow or remote file system, one byte at a time at worst) keeps its buffer, so the cost of
// a read does not depend on the buffer's size and the heap sees no per-read churn.
#include <glob.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "ingest/ingest.hpp"

namespace hsm::ingest {

namespace {
// Bad lines logged per pass before going quiet; the rest are only counted (a corrupted file
// of a million lines must not flood the journal).
constexpr std::uint64_t kBadLinesLoggedPerPass = 5;
}  // namespace

std::vector<MdtFile> discover(const std::string& pattern) {
    std::vector<MdtFile> out;
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) {
            std::filesystem::path p(g.gl_pathv[i]);
            out.push_back({p.parent_path().parent_path().filename().string(), p});
        }
    }
    ::globfree(&g);
    std::sort(out.begin(), out.end(), [](const MdtFile& a, const MdtFile& b) { return a.mdt < b.mdt; });
    return out;
}

struct MdtReader::PassState {
    const BatchSink& sink;
    ReadBatch batch;
    std::uint64_t line_no = 0, lines = 0, bad = 0;
    std::size_t used = 0;             // bytes at the front of batch.text not yet ended by a newline
    bool skipping_long_line = false;  // inside a line longer than kMaxLineLength
};

MdtReader::MdtReader(MdtFile file, std::uint32_t mdt_slot, SourceOpener& opener, BufferPool* pool)
    : file_(std::move(file)), slot_(mdt_slot), opener_(opener), pool_(pool) {}

void MdtReader::report_bad_line(PassState& ps, std::string_view why) {
    ++ps.bad;
    if (ps.bad <= kBadLinesLoggedPerPass)
        spdlog::warn("{}:{}: skipping unparsable line ({})", file_.path.string(), ps.line_no, why);
    else if (ps.bad == kBadLinesLoggedPerPass + 1)
        spdlog::warn("{}: more unparsable lines in this read; counting them silently",
                     file_.path.string());
}

namespace {
// The offsets of a parsed line's fields, relative to the line.
void set_fields(LineRef& ref, std::string_view line, const ParsedLine& parsed) {
    const auto rel = [&](std::string_view field) {
        return static_cast<std::uint16_t>(field.data() - line.data());
    };
    ref.fid_off = rel(parsed.fid);
    ref.fid_len = static_cast<std::uint16_t>(parsed.fid.size());
    ref.action_off = rel(parsed.action);
    ref.action_len = static_cast<std::uint16_t>(parsed.action.size());
    ref.status_off = rel(parsed.status);
    ref.status_len = static_cast<std::uint16_t>(parsed.status.size());
    ref.fields_located = true;
}

// ReadBatch::locate_fields for lines recalled from the previous pass (see pass_memory.hpp).
bool locate_fields(std::string_view line, LineRef& ref) {
    ParsedLine parsed;
    if (parse_line(line, parsed) != ParseError::None || parsed.key != ref.key) return false;
    set_fields(ref, line, parsed);
    return true;
}
}  // namespace

void MdtReader::process_line(PassState& ps, std::size_t begin, std::size_t end) {
    ++ps.line_no;
    const std::string_view line(ps.batch.text.data() + begin, end - begin);
    if (line.empty()) return;
    LineRef ref;
    ref.hash = fingerprint(line);
    ref.offset = static_cast<std::uint32_t>(begin);
    ref.length = static_cast<std::uint32_t>(line.size());
    // A line the previous pass had, byte for byte (same fingerprint), has the same key and
    // fields: no parse. An over-long line never got into the memory, so none is recalled.
    if (memory_.recall(ref.hash, ref.key)) {
        ref.fields_located = false;
    } else {
        ParsedLine parsed;
        const ParseError err = parse_line(line, parsed);
        if (err != ParseError::None) {
            report_bad_line(ps, parse_error_name(err));
            return;
        }
        ref.key = parsed.key;
        set_fields(ref, line, parsed);
    }
    memory_.remember(ref.hash, ref.key);
    ++ps.lines;
    ps.batch.lines.push_back(ref);
}

// Parses the complete lines in text[0, end). With lines found, hands the buffer over and moves a
// trailing partial line to the front of the next buffer (pooled when one is back); without, keeps
// the buffer and moves the partial line to its front. Sets ps.used to the partial line's length.
void MdtReader::scan_buffer(PassState& ps, std::size_t end, bool at_eof) {
    std::string& text = ps.batch.text;
    std::size_t pos = 0;
    while (pos < end) {
        const char* nl = static_cast<const char*>(std::memchr(text.data() + pos, '\n', end - pos));
        if (!nl) break;
        const std::size_t line_end = static_cast<std::size_t>(nl - text.data());
        if (ps.skipping_long_line) {
            ps.skipping_long_line = false;  // the tail of an over-long line: already reported
            ++ps.line_no;
        } else {
            process_line(ps, pos, line_end);
        }
        pos = line_end + 1;
    }
    const std::size_t partial = end - pos;
    std::size_t keep = 0;  // bytes of the partial line carried to the next read
    if (partial > kMaxLineLength && !ps.skipping_long_line) {
        ++ps.line_no;
        report_bad_line(ps, parse_error_name(ParseError::TooLong));
        --ps.line_no;  // the line number advances when its newline is finally seen
        ps.skipping_long_line = true;
    } else if (!ps.skipping_long_line && !at_eof) {
        keep = partial;
    }
    if (!ps.batch.lines.empty()) {
        ReadBatch next;
        next.mdt_slot = ps.batch.mdt_slot;
        next.cycle = ps.batch.cycle;
        next.pass = ps.batch.pass;
        next.observed_at = ps.batch.observed_at;
        next.locate_fields = &locate_fields;
        // About as many lines as this one: no regrowth of the line array per batch.
        next.lines.reserve(ps.batch.lines.size() + ps.batch.lines.size() / 8);
        if (keep) {
            if (pool_) pool_->try_dequeue(next.text);
            // A pooled buffer keeps the size it was handed over with: growing it zero-fills only
            // what lies beyond, not the whole megabyte again.
            if (next.text.size() < kReadBufferBytes) next.text.resize(kReadBufferBytes);
            std::memcpy(next.text.data(), text.data() + pos, keep);
        }
        text.resize(end);
        ps.sink(std::exchange(ps.batch, std::move(next)));
    } else if (keep && pos > 0) {
        std::memmove(text.data(), text.data() + pos, keep);
    }
    ps.used = keep;
}

void MdtReader::read_pass(const PassRequest& request, const BatchSink& sink) {
    PassState ps{sink, {}, 0, 0, 0, 0, false};
    ps.batch.mdt_slot = slot_;
    ps.batch.cycle = request.cycle;
    ps.batch.pass = request.pass;
    ps.batch.observed_at = request.observed_at;
    ps.batch.locate_fields = &locate_fields;
    ps.batch.lines.reserve(kReadBufferBytes / 256);
    memory_.begin_pass();
    std::string error;
    bool complete = false;
    auto source = opener_.open(file_.path, error);
    while (source) {
        if (request.stop && request.stop->load(std::memory_order_relaxed)) {
            error = "shutting down";
            break;
        }
        std::string& text = ps.batch.text;
        const std::size_t used = ps.used;
        // Only ever grows: a buffer kept from the last read is not zero-filled again. A buffer
        // with no line handed over yet is taken from the pool when one is back.
        if (used == 0 && text.capacity() < kReadBufferBytes && pool_) pool_->try_dequeue(text);
        const std::size_t want = std::max(kReadBufferBytes, used + kMaxLineLength + 1);
        if (text.size() < want) text.resize(want);
        const long n = source->read(text.data() + used, text.size() - used, error);
        if (n < 0) break;
        if (n == 0) {
            // A last line without its newline is a write or read cut short, not a record.
            complete = used == 0 && !ps.skipping_long_line;
            if (!complete) error = "file ends inside a line (torn read)";
            scan_buffer(ps, used, true);
            break;
        }
        scan_buffer(ps, used + static_cast<std::size_t>(n), false);
    }
    if (!error.empty() && !complete)
        spdlog::warn("{}: read {} incomplete: {}", file_.path.string(), request.pass, error);
    // Before the final batch: once it is sent, the next pass may start on another thread.
    memory_.end_pass();
    ps.batch.text.clear();
    ps.batch.lines.clear();
    ps.batch.final = true;
    ps.batch.complete = complete;
    ps.batch.error = std::move(error);
    ps.batch.lines_read = ps.lines;
    ps.batch.bad_lines = ps.bad;
    sink(std::move(ps.batch));
}

}  // namespace hsm::ingest

// ingest/MdtReader with injected byte sources: lines split across read() calls and across the
// 1 MiB buffer, read errors mid-file, torn last lines, over-long lines and garbage (counted bad,
// with the right line numbers in the log, while following lines still parse), one open per pass;
// and discover() over a real directory tree; and that a read completing no line allocates nothing.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>

#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "fixtures.hpp"
#include "ingest/ingest.hpp"

using hsm::ReadBatch;
using hsm::RecordKey;
using namespace hsm::ingest;

// Counts allocations of at least half a read buffer, to see how often the reader takes a fresh
// buffer. Replacing the global operator new/delete is the only way to watch std::string's
// allocations from outside the reader. Not under ASan: its runtime's operator new serves
// libstdc++'s own allocations (an executable's replacement is not seen by shared libraries),
// and their memory freed through this delete is a new/free mismatch to ASan.
namespace {
std::atomic<std::uint64_t> g_big_allocations{0};
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCountsAllocations = false;
#else
constexpr bool kCountsAllocations = true;
#endif
}  // namespace

#if !defined(__SANITIZE_ADDRESS__)
void* operator new(std::size_t n) {
    if (n >= hsm::kReadBufferBytes / 2) g_big_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
// GCC takes `p` for the standard operator new's and warns about free(); here it is malloc's.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
#endif

namespace {

constexpr const char* kPath = "/test/fs-MDT0000/hsm/actions";

// A byte source that returns the next scripted chunk (cut to the caller's capacity; the rest is
// returned by the following read), then fails or reports EOF.
struct Script {
    std::deque<std::string> chunks;
    bool fail_after_chunks = false;  // -1 instead of EOF once the chunks are used up
    int reads = 0;
    int reads_after_eof = 0;
    bool eof_seen = false;
};

class ScriptedSource final : public ByteSource {
public:
    explicit ScriptedSource(Script& s) : s_(s) {}
    long read(char* buffer, std::size_t capacity, std::string& error) override {
        ++s_.reads;
        if (s_.eof_seen) ++s_.reads_after_eof;
        if (s_.chunks.empty()) {
            if (s_.fail_after_chunks) {
                error = "Input/output error (injected)";
                return -1;
            }
            s_.eof_seen = true;
            return 0;
        }
        std::string& front = s_.chunks.front();
        const std::size_t n = std::min(capacity, front.size());
        front.copy(buffer, n);
        front.erase(0, n);
        if (front.empty()) s_.chunks.pop_front();
        return static_cast<long>(n);
    }

private:
    Script& s_;
};

class ScriptedOpener final : public SourceOpener {
public:
    Script script;
    int opens = 0;
    bool fail_open = false;
    std::unique_ptr<ByteSource> open(const std::filesystem::path& path, std::string& error) override {
        ++opens;
        opened = path;
        if (fail_open) {
            error = "No such file or directory (injected)";
            return nullptr;
        }
        return std::make_unique<ScriptedSource>(script);
    }
    std::filesystem::path opened;
};

// `content` cut into chunks of `size` bytes (0: one chunk).
std::deque<std::string> chunked(const std::string& content, std::size_t size) {
    std::deque<std::string> out;
    if (size == 0) size = content.size() ? content.size() : 1;
    for (std::size_t i = 0; i < content.size(); i += size) out.push_back(content.substr(i, size));
    return out;
}

struct Line {
    RecordKey key;
    std::string text, fid, action, status;
    std::uint64_t hash;
};

struct PassResult {
    std::vector<ReadBatch> batches;  // non-final, in order
    std::optional<ReadBatch> final_batch;
    int finals = 0;
    std::vector<Line> lines;
    std::string log;
};

// Routes spdlog to a string for the duration of one pass.
class LogCapture {
public:
    LogCapture() : old_(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(os_);
        auto logger = std::make_shared<spdlog::logger>("capture", sink);
        logger->set_level(spdlog::level::trace);
        spdlog::set_default_logger(logger);
    }
    ~LogCapture() { spdlog::set_default_logger(old_); }
    std::string text() const { return os_.str(); }

private:
    std::ostringstream os_;
    std::shared_ptr<spdlog::logger> old_;
};

PassResult read_pass(ScriptedOpener& opener, hsm::ingest::PassRequest req = {7, 1, 1759619143, nullptr}) {
    PassResult r;
    LogCapture capture;
    MdtReader reader({"fs-MDT0000", kPath}, 3, opener);
    reader.read_pass(req, [&](ReadBatch&& b) {
        if (b.final) {
            ++r.finals;
            r.final_batch = std::move(b);
            return;
        }
        REQUIRE_FALSE(r.final_batch.has_value());  // nothing after the final batch
        r.batches.push_back(std::move(b));
    });
    for (const auto& b : r.batches) {
        CHECK(b.mdt_slot == 3u);
        CHECK(b.cycle == req.cycle);
        CHECK(b.pass == req.pass);
        CHECK(b.observed_at == req.observed_at);
        CHECK_FALSE(b.lines.empty());  // no empty hand-overs
        for (const auto& l : b.lines) {
            REQUIRE(l.offset + l.length <= b.text.size());
            const std::string text = b.text.substr(l.offset, l.length);
            const auto field = [&](std::uint16_t off, std::uint16_t len) {
                REQUIRE(off + len <= l.length);
                return text.substr(off, len);
            };
            r.lines.push_back({l.key, text, field(l.fid_off, l.fid_len), field(l.action_off, l.action_len),
                               field(l.status_off, l.status_len), l.hash});
            CHECK(l.hash == fingerprint(text));
        }
    }
    r.log = capture.text();
    return r;
}

std::string short_line(std::uint32_t c, std::uint32_t r, const std::string& status = "WAITING",
                       std::size_t pad_to = 0) {
    std::string line = "idx=[" + std::to_string(c) + "/" + std::to_string(r) + "] action=ARCHIVE fid=[0x200000401:0x" +
                       std::to_string(r) + ":0x0] status=" + status;
    if (pad_to > line.size() + 5) line += " pad=" + std::string(pad_to - line.size() - 5, 'p');
    return line;
}

// `n` lines of assorted lengths (so buffer boundaries fall anywhere), each ending with '\n'.
std::string many_lines(std::uint32_t n, std::vector<std::string>* lines = nullptr) {
    std::string out;
    for (std::uint32_t i = 0; i < n; ++i) {
        const std::string l = short_line(1 + i / 1000, i, "STARTED", 60 + (i * 37) % 400);
        if (lines) lines->push_back(l);
        out += l + "\n";
    }
    return out;
}

void check_lines(const PassResult& r, const std::vector<std::string>& expected) {
    REQUIRE(r.lines.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("line " << i);
        REQUIRE(r.lines[i].text == expected[i]);
        ParsedLine p;
        REQUIRE(parse_line(expected[i], p) == ParseError::None);
        CHECK(r.lines[i].key == p.key);
        CHECK(r.lines[i].fid == p.fid);
        CHECK(r.lines[i].action == p.action);
        CHECK(r.lines[i].status == p.status);
    }
}

}  // namespace

TEST_CASE("reader: a small file in one read", "[ingest][reader]") {
    ScriptedOpener opener;
    const std::vector<std::string> lines = {short_line(1, 2), short_line(1, 3, "STARTED")};
    opener.script.chunks = {lines[0] + "\n" + lines[1] + "\n"};
    const auto r = read_pass(opener);
    check_lines(r, lines);
    CHECK(r.lines[1].key == RecordKey{1, 3});
    CHECK(r.lines[1].status == "STARTED");
    CHECK(r.lines[1].fid == "0x200000401:0x3:0x0");
    REQUIRE(r.finals == 1);
    CHECK(r.final_batch->complete);
    CHECK(r.final_batch->error.empty());
    CHECK(r.final_batch->lines_read == 2u);
    CHECK(r.final_batch->bad_lines == 0u);
    CHECK(r.final_batch->lines.empty());
    CHECK(r.final_batch->mdt_slot == 3u);
    CHECK(opener.opens == 1);
    CHECK(opener.opened == kPath);
    CHECK(opener.script.reads_after_eof == 0);
}

TEST_CASE("reader: lines split across read() calls", "[ingest][reader]") {
    std::vector<std::string> lines;
    const std::string content = many_lines(200, &lines);
    for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{61}, std::size_t{4096},
                              std::size_t{4097}, std::size_t{65536}}) {
        INFO("chunk " << chunk);
        ScriptedOpener opener;
        opener.script.chunks = chunked(content, chunk);
        const auto r = read_pass(opener);
        check_lines(r, lines);
        CHECK(r.final_batch->complete);
        CHECK(r.final_batch->lines_read == lines.size());
        CHECK(r.final_batch->bad_lines == 0u);
        CHECK(opener.opens == 1);
    }
}

// A read that completes no line keeps its buffer: one fresh buffer per batch handed over, not
// per read. (Before, every read took a fresh 1 MiB buffer and zero-filled it: 200 lines read a
// byte at a time cost ~50,000 buffers, and the test above outran its timeout under TSan.)
TEST_CASE("reader: short reads reuse the read buffer", "[ingest][reader]") {
    std::vector<std::string> lines;
    const std::string content = many_lines(200, &lines);
    for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{29}}) {
        INFO("chunk " << chunk);
        ScriptedOpener opener;
        opener.script.chunks = chunked(content, chunk);
        const std::uint64_t before = g_big_allocations.load();
        const auto r = read_pass(opener);
        const std::uint64_t buffers = g_big_allocations.load() - before;
        check_lines(r, lines);
        CHECK(opener.script.reads > static_cast<int>(r.batches.size()) * 3);  // most reads end no line
        if (kCountsAllocations) CHECK(buffers <= r.batches.size() + 1);
    }
}

TEST_CASE("reader: lines across the 1 MiB read buffer", "[ingest][reader]") {
    std::vector<std::string> lines;
    const std::string content = many_lines(20000, &lines);  // ~5 MiB: several full buffers
    REQUIRE(content.size() > 4 * hsm::kReadBufferBytes);
    ScriptedOpener opener;
    opener.script.chunks = {content};  // every read fills the buffer
    const auto r = read_pass(opener);
    check_lines(r, lines);
    CHECK(r.batches.size() >= 4u);
    CHECK(r.final_batch->complete);
    CHECK(r.final_batch->bad_lines == 0u);
}

TEST_CASE("reader: a buffer that ends exactly at, before or after a newline", "[ingest][reader]") {
    // The first line's length puts a newline at the last byte of the first buffer, shifted by delta.
    for (int delta : {-2, -1, 0, 1, 2}) {
        INFO("delta " << delta);
        constexpr std::size_t kLine = 100;  // bytes per later line, newline included
        const long target = static_cast<long>(hsm::kReadBufferBytes) - 1 + delta;  // a newline here
        const std::size_t first = static_cast<std::size_t>((target + 1) % static_cast<long>(kLine)) + kLine;
        std::vector<std::string> lines = {short_line(9, 0, "WAITING", first - 1)};
        std::string content = lines[0] + "\n";
        for (std::uint32_t i = 1; content.size() < hsm::kReadBufferBytes + 5000; ++i) {
            lines.push_back(short_line(9, i, "WAITING", kLine - 1));
            content += lines.back() + "\n";
        }
        REQUIRE(content[static_cast<std::size_t>(target)] == '\n');
        ScriptedOpener opener;
        opener.script.chunks = {content};
        const auto r = read_pass(opener);
        check_lines(r, lines);
        CHECK(r.final_batch->complete);
    }
}

TEST_CASE("reader: a read error mid-file makes the pass incomplete", "[ingest][reader]") {
    std::vector<std::string> lines;
    const std::string content = many_lines(50, &lines);
    ScriptedOpener opener;
    const std::size_t cut = content.find('\n', content.size() / 2) + 20;  // inside a line
    opener.script.chunks = {content.substr(0, cut)};
    opener.script.fail_after_chunks = true;
    const auto r = read_pass(opener);
    const auto complete_lines = static_cast<std::size_t>(std::count(content.begin(), content.begin() + static_cast<long>(cut), '\n'));
    lines.resize(complete_lines);  // the line cut by the error is not delivered
    check_lines(r, lines);
    REQUIRE(r.finals == 1);
    CHECK_FALSE(r.final_batch->complete);
    CHECK_THAT(r.final_batch->error, Catch::Contains("injected"));
    CHECK_THAT(r.log, Catch::Contains("incomplete"));
}

TEST_CASE("reader: a read error before any byte", "[ingest][reader]") {
    ScriptedOpener opener;
    opener.script.fail_after_chunks = true;
    const auto r = read_pass(opener);
    CHECK(r.lines.empty());
    CHECK_FALSE(r.final_batch->complete);
    CHECK_FALSE(r.final_batch->error.empty());
}

TEST_CASE("reader: a file that cannot be opened is an incomplete pass", "[ingest][reader]") {
    ScriptedOpener opener;
    opener.fail_open = true;
    const auto r = read_pass(opener);
    CHECK(r.batches.empty());
    REQUIRE(r.finals == 1);
    CHECK_FALSE(r.final_batch->complete);
    CHECK_THAT(r.final_batch->error, Catch::Contains("injected"));
}

TEST_CASE("reader: a last line without its newline is a torn read", "[ingest][reader]") {
    const std::vector<std::string> lines = {short_line(1, 2), short_line(1, 3)};
    for (std::size_t chunk : {std::size_t{0}, std::size_t{5}}) {
        INFO("chunk " << chunk);
        ScriptedOpener opener;
        opener.script.chunks = chunked(lines[0] + "\n" + lines[1] + "\n" + short_line(1, 4), chunk);
        const auto r = read_pass(opener);
        check_lines(r, lines);  // the torn third line is not a record
        CHECK_FALSE(r.final_batch->complete);
        CHECK_THAT(r.final_batch->error, Catch::Contains("torn"));
        CHECK(r.final_batch->lines_read == 2u);
    }
}

TEST_CASE("reader: empty files and blank lines", "[ingest][reader]") {
    SECTION("empty file: a complete pass of no lines") {
        ScriptedOpener opener;
        const auto r = read_pass(opener);
        CHECK(r.batches.empty());
        CHECK(r.final_batch->complete);
        CHECK(r.final_batch->lines_read == 0u);
        CHECK(r.final_batch->bad_lines == 0u);
    }
    SECTION("blank lines are neither records nor bad lines") {
        ScriptedOpener opener;
        opener.script.chunks = {"\n\n" + short_line(1, 2) + "\n\n"};
        const auto r = read_pass(opener);
        check_lines(r, {short_line(1, 2)});
        CHECK(r.final_batch->complete);
        CHECK(r.final_batch->bad_lines == 0u);
    }
}

TEST_CASE("reader: an over-long line is one bad line, the next ones parse, numbered right", "[ingest][reader]") {
    // Line 2 is too long, line 4 is garbage; lines 1, 3 and 5 are records.
    const std::vector<std::string> good = {short_line(1, 1), short_line(1, 3), short_line(1, 5)};
    const auto content = [&](std::size_t long_len) {
        return good[0] + "\n" + short_line(1, 2, "WAITING", long_len) + "\n" + good[1] + "\n" +
               "this is not a record\n" + good[2] + "\n";
    };
    struct Case { const char* name; std::size_t long_len; std::size_t chunk; };
    const Case cases[] = {
        {"4097 bytes, one read", 4097, 0},
        {"10000 bytes, one read", 10000, 0},
        {"10000 bytes, 1000-byte reads", 10000, 1000},
        {"10000 bytes, 4096-byte reads", 10000, 4096},
        {"10000 bytes, 1-byte reads", 10000, 1},
        {"3 MiB, one read (crosses buffers)", 3 << 20, 0},
        {"3 MiB, 300000-byte reads", 3 << 20, 300000},
    };
    for (const auto& c : cases) {
        INFO(c.name);
        ScriptedOpener opener;
        opener.script.chunks = chunked(content(c.long_len), c.chunk);
        const auto r = read_pass(opener);
        check_lines(r, good);
        CHECK(r.final_batch->complete);
        CHECK(r.final_batch->lines_read == 3u);
        CHECK(r.final_batch->bad_lines == 2u);
        const std::string path(kPath);
        CHECK_THAT(r.log, Catch::Contains(path + ":2: skipping unparsable line (line too long)"));
        CHECK_THAT(r.log, Catch::Contains(path + ":4: skipping unparsable line (no idx= field)"));
        CHECK_THAT(r.log, !Catch::Contains(path + ":3:") && !Catch::Contains(path + ":5:"));
    }
}

TEST_CASE("reader: an over-long line at the end of the file without newline", "[ingest][reader]") {
    ScriptedOpener opener;
    opener.script.chunks = {short_line(1, 1) + "\n" + std::string(2 << 20, 'z')};
    const auto r = read_pass(opener);
    check_lines(r, {short_line(1, 1)});
    CHECK_FALSE(r.final_batch->complete);
    CHECK(r.final_batch->bad_lines == 1u);
}

TEST_CASE("reader: binary garbage with NUL bytes is counted, not fatal", "[ingest][reader]") {
    std::string garbage;
    for (int i = 0; i < 3000; ++i) garbage.push_back(static_cast<char>((i * 131) % 256));
    garbage += std::string("\0\0idx=\0/\0\n", 10);
    const std::vector<std::string> good = {short_line(2, 1), short_line(2, 2)};
    ScriptedOpener opener;
    opener.script.chunks = chunked(good[0] + "\n" + garbage + good[1] + "\n", 333);
    const auto r = read_pass(opener);
    check_lines(r, good);
    CHECK(r.final_batch->complete);
    const auto newlines_in_garbage = static_cast<std::uint64_t>(std::count(garbage.begin(), garbage.end(), '\n'));
    // Every garbage line is counted bad, except blank ones (consecutive newlines).
    CHECK(r.final_batch->bad_lines >= 1u);
    CHECK(r.final_batch->bad_lines <= newlines_in_garbage);
}

TEST_CASE("reader: bad-line logging is rate-limited but every bad line is counted", "[ingest][reader]") {
    std::string content;
    for (int i = 0; i < 100; ++i) content += "garbage " + std::to_string(i) + "\n";
    content += short_line(1, 1) + "\n";
    ScriptedOpener opener;
    opener.script.chunks = {content};
    const auto r = read_pass(opener);
    check_lines(r, {short_line(1, 1)});
    CHECK(r.final_batch->bad_lines == 100u);
    std::size_t warnings = 0;
    for (std::size_t p = r.log.find("skipping unparsable"); p != std::string::npos;
         p = r.log.find("skipping unparsable", p + 1))
        ++warnings;
    CHECK(warnings <= 10u);
    CHECK(warnings >= 1u);
}

TEST_CASE("reader: a stop request abandons the pass as incomplete", "[ingest][reader]") {
    ScriptedOpener opener;
    opener.script.chunks = {many_lines(10)};
    std::atomic<bool> stop{true};
    const auto r = read_pass(opener, {1, 2, 0, &stop});
    CHECK(r.lines.empty());
    CHECK_FALSE(r.final_batch->complete);
    CHECK(r.final_batch->pass == 2);
    CHECK_FALSE(r.final_batch->error.empty());
}

TEST_CASE("reader: a real file through FileOpener", "[ingest][reader]") {
    hsm::test::TempDir dir;
    std::vector<std::string> lines;
    const std::string content = many_lines(8000, &lines);  // > 1 MiB: several read() calls
    const auto path = dir / "fs-MDT0000/hsm/actions";
    hsm::test::write_file(path, content);
    FileOpener opener;
    std::vector<Line> got;
    std::optional<ReadBatch> fin;
    MdtReader reader({"fs-MDT0000", path}, 0, opener);
    reader.read_pass({1, 1, 0, nullptr}, [&](ReadBatch&& b) {
        if (b.final) {
            fin = std::move(b);
            return;
        }
        for (const auto& l : b.lines) got.push_back({l.key, b.text.substr(l.offset, l.length), "", "", "", l.hash});
    });
    REQUIRE(fin);
    CHECK(fin->complete);
    REQUIRE(got.size() == lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) REQUIRE(got[i].text == lines[i]);

    FileOpener missing;
    std::string error;
    CHECK(missing.open(dir / "nope", error) == nullptr);
    CHECK_FALSE(error.empty());
}

TEST_CASE("discover: one file per MDT, named by the directory above hsm/, sorted", "[ingest][discover]") {
    hsm::test::TempDir dir;
    for (const char* mdt : {"fs-MDT0002", "fs-MDT0000", "other-MDT0001"})
        hsm::test::write_file(dir / "mdt" / mdt / "hsm" / "actions", "");
    hsm::test::write_file(dir / "mdt" / "fs-MDT0003" / "hsm" / "agents", "");  // not an actions file
    const auto found = discover((dir.path() / "mdt" / "*" / "hsm" / "actions").string());
    REQUIRE(found.size() == 3u);
    CHECK(found[0].mdt == "fs-MDT0000");
    CHECK(found[1].mdt == "fs-MDT0002");
    CHECK(found[2].mdt == "other-MDT0001");
    CHECK(found[0].path == dir.path() / "mdt" / "fs-MDT0000" / "hsm" / "actions");
    CHECK(discover((dir.path() / "nothing" / "*" / "hsm" / "actions").string()).empty());
}

// hsm-bench-latency: the time from a status change written to an hsm/actions file to its event
// arriving at a consumer blocked in XREAD, over many changes (bench/latency/run.sh drives it
// against the real daemon and a private redis-server; docs/benchmarks.md has the figures).
//
// `--write-only` writes <root>/bench-MDT000i/hsm/actions (hsm_bench_input's lines, all of them
// WAITING or another status). Then, with the daemon shipping those files, the measuring run
// changes one WAITING record to STARTED at a time (same length: the line is edited in place, the
// whole file rewritten atomically as the kernel's seq_file would show it), at random intervals
// so the change falls at a random phase of the poll, notes when the rename made it visible, and
// a consumer thread blocked in XREAD BLOCK on every MDT's stream notes when the UPDATE arrives.
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>

#include "services/file_output.hpp"
#include "input.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using Key = std::tuple<unsigned, std::uint32_t, std::uint32_t>;  // mdt, cat, rec

std::string mdt_name(unsigned i) {
    char name[32];
    std::snprintf(name, sizeof name, "bench-MDT%04x", i);
    return name;
}

std::filesystem::path actions(const std::string& root, unsigned i) {
    return std::filesystem::path(root) / mdt_name(i) / "hsm" / "actions";
}

void write_atomic(const std::filesystem::path& file, const std::string& content) {
    hsm::files::WriteOptions options;
    options.new_file_mode = 0644;
    options.create_parents = true;
    std::string why;
    if (!hsm::files::write_file(file, content, options, why)) throw std::runtime_error(why);
}

// Offsets of every " status=WAITING " in `content`, with the record's idx=[cat/rec].
struct Candidate {
    std::size_t status_at;
    std::uint32_t cat, rec;
};

std::vector<Candidate> candidates(const std::string& content) {
    std::vector<Candidate> out;
    std::size_t line = 0;
    while (line < content.size()) {
        const std::size_t end = content.find('\n', line);
        const std::size_t stop = end == std::string::npos ? content.size() : end;
        const std::size_t idx = content.find("idx=", line);
        const std::size_t st = content.find(" status=WAITING ", line);
        if (idx < stop && st < stop) {
            // from_chars, not sscanf: glibc's sscanf takes strlen() of the whole 60 MB file per call.
            std::uint32_t cat = 0, rec = 0;
            const char* p = content.data() + idx + 4;
            const char* end_p = content.data() + stop;
            auto r1 = std::from_chars(p, end_p, cat);
            if (r1.ec == std::errc{} && r1.ptr < end_p && *r1.ptr == '/' &&
                std::from_chars(r1.ptr + 1, end_p, rec).ec == std::errc{})
                out.push_back({st + 8, cat, rec});
        }
        line = stop + 1;
    }
    return out;
}

// A number after `"name":` in a JSON object our encoder wrote (no spaces).
bool json_uint(const std::string& json, const std::string& name, std::uint32_t& out) {
    const std::size_t at = json.find("\"" + name + "\":");
    if (at == std::string::npos) return false;
    out = static_cast<std::uint32_t>(std::strtoul(json.c_str() + at + name.size() + 3, nullptr, 10));
    return true;
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
    std::string root, host = "127.0.0.1", prefix = "hsm:actions";
    int port = 6379, db = 0;
    unsigned mdts = 4, changes = 100;
    std::size_t lines = 250'000;
    bool write_only = false;
    double min_gap = 0.2, max_gap = 0.7;
    CLI::App app{"Change-to-consumer latency of the shipper"};
    app.add_option("--root", root, "MDT tree root")->required();
    app.add_option("--mdts", mdts, "MDTs");
    app.add_option("--lines", lines, "Lines per MDT");
    app.add_flag("--write-only", write_only, "Write the files and exit");
    app.add_option("--host", host);
    app.add_option("--port", port);
    app.add_option("--db", db);
    app.add_option("--prefix", prefix);
    app.add_option("--changes", changes, "Changes to time");
    app.add_option("--min-gap", min_gap, "Least seconds between changes");
    app.add_option("--max-gap", max_gap, "Most seconds between changes");
    CLI11_PARSE(app, argc, argv);

    std::vector<std::string> content(mdts);
    std::vector<std::vector<Candidate>> cands(mdts);
    for (unsigned i = 0; i < mdts; ++i) {
        content[i] = hsm::bench::render_actions(lines, i);
        if (write_only) write_atomic(actions(root, i), content[i]);
        cands[i] = candidates(content[i]);
    }
    if (write_only) {
        std::printf("%u MDT(s) x %zu lines under %s\n", mdts, lines, root.c_str());
        return 0;
    }

    std::mutex mutex;
    // When each change became visible (after its rename) and when its event arrived, kept apart
    // so an event that arrives before the writer thread noted its time is still counted.
    std::map<Key, Clock::time_point> written, arrived;
    std::vector<double> latencies;
    std::atomic<bool> done{false};
    redisContext* reader = redisConnect(host.c_str(), port);
    if (!reader || reader->err) {
        std::fprintf(stderr, "cannot connect to redis %s:%d\n", host.c_str(), port);
        return 1;
    }
    if (db) freeReplyObject(redisCommand(reader, "SELECT %d", db));
    // Start from each stream's newest entry, so only events after now count.
    std::vector<std::string> keys, ids;
    for (unsigned i = 0; i < mdts; ++i) {
        keys.push_back(prefix + ":" + mdt_name(i));
        auto* r = static_cast<redisReply*>(redisCommand(reader, "XREVRANGE %s + - COUNT 1", keys.back().c_str()));
        ids.push_back(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 ? std::string(r->element[0]->element[0]->str) : "0-0");
        freeReplyObject(r);
    }
    std::thread consumer([&] {
        while (!done) {
            std::vector<const char*> argv_c = {"XREAD", "BLOCK", "500", "STREAMS"};
            for (auto& k : keys) argv_c.push_back(k.c_str());
            for (auto& id : ids) argv_c.push_back(id.c_str());
            auto* r = static_cast<redisReply*>(redisCommandArgv(reader, static_cast<int>(argv_c.size()), argv_c.data(), nullptr));
            const auto now = Clock::now();
            if (!r) break;
            if (r->type == REDIS_REPLY_ARRAY) {
                for (std::size_t s = 0; s < r->elements; ++s) {
                    const redisReply* stream = r->element[s];
                    const std::string key(stream->element[0]->str, stream->element[0]->len);
                    const unsigned mdt = static_cast<unsigned>(std::find(keys.begin(), keys.end(), key) - keys.begin());
                    const redisReply* entries = stream->element[1];
                    for (std::size_t e = 0; e < entries->elements; ++e) {
                        const redisReply* entry = entries->element[e];
                        ids[mdt] = std::string(entry->element[0]->str, entry->element[0]->len);
                        const redisReply* fields = entry->element[1];
                        for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
                            const std::string data(fields->element[f + 1]->str, fields->element[f + 1]->len);
                            if (data.find("\"status\":\"STARTED\"") == std::string::npos) continue;
                            std::uint32_t cat = 0, rec = 0;
                            if (!json_uint(data, "cat_idx", cat) || !json_uint(data, "rec_idx", rec)) continue;
                            std::lock_guard lock(mutex);
                            arrived.emplace(Key{mdt, cat, rec}, now);
                        }
                    }
                }
            }
            freeReplyObject(r);
        }
    });

    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> gap(min_gap, max_gap);
    std::vector<std::size_t> next(mdts, 0);
    for (unsigned c = 0; c < changes; ++c) {
        const unsigned mdt = c % mdts;
        // Spread over the file: a stride through the candidates, never the same record twice.
        const std::size_t pick = (next[mdt]++ * 7919) % cands[mdt].size();
        const Candidate cand = cands[mdt][pick];
        content[mdt].replace(cand.status_at, 7, "STARTED");
        write_atomic(actions(root, mdt), content[mdt]);
        {
            std::lock_guard lock(mutex);
            written[{mdt, cand.cat, cand.rec}] = Clock::now();
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(gap(rng)));
    }
    // The last change needs up to one poll and one cycle.
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    const auto all_arrived = [&] {
        for (const auto& [key, at] : written)
            if (!arrived.count(key)) return false;
        return true;
    };
    while (Clock::now() < deadline) {
        {
            std::lock_guard lock(mutex);
            if (all_arrived()) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    done = true;
    consumer.join();
    redisFree(reader);
    std::lock_guard lock(mutex);
    std::size_t lost = 0;
    for (const auto& [key, at] : written) {
        const auto it = arrived.find(key);
        if (it == arrived.end()) ++lost;
        else latencies.push_back(std::chrono::duration<double>(it->second - at).count());
    }
    if (latencies.empty()) {
        std::fprintf(stderr, "no event arrived\n");
        return 1;
    }
    std::printf("changes %u, arrived %zu, lost %zu; latency s: min %.3f p50 %.3f p90 %.3f p99 %.3f max %.3f\n",
                changes, latencies.size(), lost, percentile(latencies, 0),
                percentile(latencies, 0.5), percentile(latencies, 0.9), percentile(latencies, 0.99),
                percentile(latencies, 1));
    return lost == 0 ? 0 : 1;
}

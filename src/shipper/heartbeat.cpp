// HeartbeatWriter (see heartbeat.hpp). One round trip per cycle: HSET of every field, then
// EXPIRE, pipelined; both replies are checked, and a failure is one FaultLog state. On a clean
// stop, one EVAL deletes the hash if it still holds our last write.
#include "shipper/heartbeat.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "services/version.hpp"

namespace hsm::shipper {

beat::ShipperBeat make_beat(const CycleFacts& cycle, const PipelineCounters& c, double poll_interval) {
    const auto load = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    beat::ShipperBeat b;
    b.version = kVersion;
    b.pid = static_cast<std::int64_t>(getpid());
    b.mdts = cycle.mdts;
    b.poll_interval = poll_interval;
    b.written_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
    // The coordinator stores the cycle's duration in the counters just before this write.
    b.cycle_seconds = static_cast<double>(load(c.last_cycle_micros)) / 1e6;
    b.cycle_started_ms = b.written_ms - static_cast<std::int64_t>(load(c.last_cycle_micros) / 1000);
    b.checkpoint_seconds = cycle.checkpoint_seconds;
    b.checkpoint_ok = cycle.checkpoint_ok;
    b.cycles = load(c.cycles);
    b.events_shipped = load(c.events_new) + load(c.events_update) + load(c.events_purged);
    b.events_refused = load(c.events_failed);
    b.reconnects = load(c.redis_reconnects);
    b.reader_waits = load(c.reader_waits);
    b.rereads = load(c.rereads);
    b.takeovers = load(c.takeovers);
    b.rebuilds = load(c.rebuilds);
    b.repairs = load(c.repairs);
    b.trims = load(c.trims);
    b.trimmed_entries = load(c.trimmed_entries);
    b.compactions = load(c.compactions);
    b.compacted_entries = load(c.compacted_entries);
    b.bad_lines = load(c.bad_lines);
    return b;
}

namespace {
// The write runs on the coordinator between cycles: a dead server must cost it little.
RedisEndpoint with_short_connect(RedisEndpoint ep) {
    ep.connect_timeout = std::min(ep.connect_timeout, std::chrono::milliseconds(1000));
    return ep;
}
}  // namespace

HeartbeatWriter::HeartbeatWriter(RedisEndpoint endpoint, std::string prefix, std::string host, double poll_interval)
    : redis_(with_short_connect(std::move(endpoint))), key_(beat::key(prefix, host)), poll_interval_(poll_interval),
      log_("heartbeat " + key_ + " on redis " + redis_.endpoint().address()) {}

bool HeartbeatWriter::write(const CycleFacts& cycle, const PipelineCounters& counters) {
    if (!redis_.connected()) {
        if (!redis_.due()) return false;  // backing off; the failure was logged when it began
        if (!redis_.connect()) {
            log_.failed(redis_.last_problem());
            return false;
        }
    }
    const auto fields = beat::to_fields(make_beat(cycle, counters, poll_interval_));
    std::string pid, written_ms;
    for (const auto& [name, value] : fields) {
        if (name == "pid") pid = value;
        if (name == "written_ms") written_ms = value;
    }
    std::vector<std::string_view> hset = {"HSET", key_};
    for (const auto& [name, value] : fields) {
        hset.push_back(name);
        hset.push_back(value);
    }
    const std::string ttl = std::to_string(beat::ttl_seconds(poll_interval_));
    redis_.append(hset);
    redis_.append({"EXPIRE", key_, ttl});
    const std::string user = redis_.endpoint().user();
    Reply first = redis_.read_reply();
    RedisProblem problem = problem_of(first.get(), "HSET " + key_, user, redis_.last_error());
    if (first) {
        Reply second = redis_.read_reply();
        if (!problem) problem = problem_of(second.get(), "EXPIRE " + key_, user, redis_.last_error());
    }
    if (problem) {
        log_.failed(problem);
        return false;
    }
    log_.succeeded();
    written_ = {std::move(pid), std::move(written_ms)};
    return true;
}

// One script, so "still ours" and the DEL are one atomic step: a shipper that took the host's key
// over in between (same host name on a failover node) keeps its hash.
bool HeartbeatWriter::remove() {
    if (!written_) return true;  // never written: nothing of ours to remove
    static constexpr std::string_view kDeleteIfOurs =
        "if redis.call('HGET', KEYS[1], 'pid') == ARGV[1] and"
        " redis.call('HGET', KEYS[1], 'written_ms') == ARGV[2] then return redis.call('DEL', KEYS[1]) end"
        " return 0";
    if (!redis_.connected() && !redis_.connect()) {
        spdlog::warn("heartbeat {} not removed at stop (it expires by its TTL): {}", key_, redis_.last_problem().message());
        return false;
    }
    Reply r = redis_.command({"EVAL", kDeleteIfOurs, "1", key_, written_->first, written_->second});
    if (const RedisProblem problem = problem_of(r.get(), "EVAL (HGET, DEL) " + key_, redis_.endpoint().user(),
                                                redis_.last_error())) {
        spdlog::warn("heartbeat {} not removed at stop (it expires by its TTL): {}", key_, problem.message());
        return false;
    }
    written_.reset();
    return true;
}

}  // namespace hsm::shipper

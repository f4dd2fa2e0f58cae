// Whose stream is it: before an MDT is read, its committed state must describe its stream. A
// stream that goes on past our state is caught up (the entries after our newest folded in, when
// the stream still holds them all: checkpointing.cpp) or else taken over (replayed), one that
// lost our entries is rebuilt, a second writer at the same time makes this host stand by, and
// reconcile repairs both ways.
// All of it runs on the coordinator thread between cycles, over its own Redis connection.
#include <ctime>
#include <string_view>

#include <spdlog/spdlog.h>

#include "shipper/impl.hpp"

namespace hsm::shipper {

// Our own unacknowledged XADDs may have landed: a newer stream is then no collision, until a
// cycle whose checks all reached Redis has seen them; and every MDT read since the last check is
// folded from its point of agreement at its next check (or at a restart from the checkpoint).
void Shipper::Impl::note_lost_in_flight() {
    if (!publisher.take_lost_in_flight()) return;
    own_writes_unknown = true;
    for (const auto& [slot, reader] : readers) unsure.insert(slot);
}

// Before an MDT's read, make sure its committed state describes its stream: a stream written by
// someone else (failover, a lost or stale cache) is taken over by replaying it, and one that lost
// entries we had acknowledged (FLUSHDB, a restart without persistence, a stale replica) is
// rebuilt. Either way the diff then ships only the difference to the file.
// Returns how many MDTs cannot be shipped this cycle.
std::size_t Shipper::Impl::verify_streams() {
    unchecked.clear();
    if (options.dry_run) return 0;
    probe_redis();
    kill_stale_publisher();
    note_lost_in_flight();
    bool all_checked = true;
    std::size_t blocked = 0;
    RedisProblem problem;  // the first failure of this cycle's checks
    for (auto& [slot, reader] : readers) {
        MdtState& mdt = state.at(slot);
        if (stand_by(slot)) {
            unchecked.insert(slot);  // not read: the other writer ships it
            continue;
        }
        const bool was_connected = admin.connected();
        gc::StreamCheck check = gc::check_stream(admin, key_of(slot), mdt);
        // A connection that went stale while idle (Redis restarted, or hung and came back)
        // fails on its first command; one fresh attempt now, not a cycle later.
        if (check.verdict == gc::StreamVerdict::Unreachable && was_connected && probe_redis())
            check = gc::check_stream(admin, key_of(slot), mdt);
        // XADDs whose replies were lost may have landed; if the publisher reconnected and got
        // later XADDs acknowledged, the stream's newest entry is ours and the check finds it
        // consistent, yet the landed ones were never committed and the diff would ship them
        // again. Fold everything after the last point of agreement (or replay in full).
        const auto mark = agreed.find(slot);
        if (unsure.count(slot) && mark != agreed.end() &&
            (check.verdict == gc::StreamVerdict::Consistent || check.verdict == gc::StreamVerdict::ForeignWrites)) {
            // An empty mark: the stream was new at the last agreement, so any entry may be one of
            // those; replayed in full (as it is when the entries after the mark are gone).
            if (mark->second.empty() || !catch_up(slot, mark->second)) {
                spdlog::info("{}: taking over the stream (XADDs lost in flight): replaying its live set", mdt.name());
                reseed_from_stream(slot, false);
            }
            if (mdt.stream_verified) agreed[slot] = mdt.newest_written, unsure.erase(slot);
            blocked += !mdt.stream_verified;
            continue;
        }
        switch (check.verdict) {
            case gc::StreamVerdict::Consistent:
                mdt.stream_verified = true;
                break;
            case gc::StreamVerdict::Unreachable:  // lost, or a transient state: not shipped until checked
                if (!problem) problem = check.problem;
                unchecked.insert(slot);
                all_checked = false;
                break;
            case gc::StreamVerdict::Unusable:  // refused: no permission, or not a stream
                if (!problem) problem = check.problem;
                mdt.stream_verified = false;
                break;
            case gc::StreamVerdict::Unknown:
            case gc::StreamVerdict::ForeignWrites: {
                Standby& sb = standby[slot];
                if (check.verdict == gc::StreamVerdict::ForeignWrites && !own_writes_unknown &&
                    sb.last_takeover && cycle - sb.last_takeover <= kConcurrentWriterCycles) {
                    enter_standby(slot, check.detail);
                    unchecked.insert(slot);
                    continue;  // standing by is not "blocked": the other writer ships it
                }
                // The usual case after a restart: the stream goes on past our snapshot's stamp
                // (catch_up, checkpointing.cpp).
                if (check.verdict == gc::StreamVerdict::ForeignWrites && catch_up(slot, mdt.newest_written)) break;
                spdlog::info("{}: taking over the stream ({}): replaying its live set", mdt.name(), check.detail);
                if (reseed_from_stream(slot, false)) {
                    counters.takeovers.fetch_add(1, std::memory_order_relaxed);
                    sb.last_takeover = own_writes_unknown ? 0 : cycle;
                }
                break;
            }
            case gc::StreamVerdict::DataLoss:
                spdlog::warn("{}: redis lost entries this host had shipped ({}); rebuilding the stream",
                             mdt.name(), check.detail);
                if (reseed_from_stream(slot, true)) counters.rebuilds.fetch_add(1, std::memory_order_relaxed);
                break;
        }
        if (mdt.stream_verified && !unchecked.count(slot)) agreed[slot] = mdt.newest_written, unsure.erase(slot);
        blocked += !mdt.stream_verified || unchecked.count(slot);
    }
    // An MDT whose stream cannot be checked is not shipped until it can (see read_all).
    if (problem) {
        redis_log.failed(problem, !options.one_shot);
    } else if (!readers.empty()) {
        redis_log.succeeded();
    }
    if (all_checked) own_writes_unknown = false;
    return blocked;
}

namespace {
// The newest entry of a stream: its ID and the "host" field of its event, if any.
struct NewestEntry {
    bool ok = false;
    StreamId id;
    std::string host;
};

NewestEntry newest_entry(RedisConnection& redis, const std::string& key) {
    NewestEntry n;
    if (!redis.ensure_connected()) return n;
    Reply r = redis.command({"XREVRANGE", key, "+", "-", "COUNT", "1"});
    if (!r || r->type != REDIS_REPLY_ARRAY) return n;
    n.ok = true;
    if (r->elements == 0 || r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements < 2) return n;
    const redisReply* entry = r->element[0];
    if (entry->element[0]->type == REDIS_REPLY_STRING)
        StreamId::parse({entry->element[0]->str, entry->element[0]->len}, n.id);
    const redisReply* fields = entry->element[1];
    if (fields->type != REDIS_REPLY_ARRAY) return n;
    for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
        if (fields->element[i + 1]->type != REDIS_REPLY_STRING) continue;
        const std::string_view data(fields->element[i + 1]->str, fields->element[i + 1]->len);
        // Our own encoder writes "host":"<name>" with a plain host name; nothing to unescape.
        const auto at = data.find("\"host\":\"");
        if (at == std::string_view::npos) continue;
        const auto start = at + 8, end = data.find('"', start);
        if (end != std::string_view::npos) n.host = std::string(data.substr(start, end - start));
    }
    return n;
}
}  // namespace

void Shipper::Impl::enter_standby(std::uint32_t slot, const std::string& why) {
    Standby& sb = standby[slot];
    const NewestEntry n = newest_entry(admin, key_of(slot));
    sb.active = true;
    sb.last_seen = n.id;
    sb.quiet = 0;
    sb.quiet_needed = kConcurrentWriterCycles +
                      std::uniform_int_distribution<std::uint32_t>(0, kConcurrentWriterCycles)(standby_rng);
    const std::string other = n.host.empty() ? "an unnamed host (an older shipper?)"
                              : n.host == publisher_host ? "another process on this host (" + n.host + ")"
                                                         : "host " + n.host;
    // One warning per episode; a host that keeps colliding says so again only much later.
    const bool warn = !sb.warned || cycle - sb.warned > kStandbyWarnEveryCycles;
    spdlog::log(warn ? spdlog::level::warn : spdlog::level::debug,
                "{}: another shipper is writing {} at the same time as this host: {} ({}); this host "
                "stands by for this MDT and ships nothing for it until that writer has been quiet for "
                "{} cycles. Only one host should match mdt_watch_glob for an MDT.",
                state.at(slot).name(), key_of(slot), other, why, sb.quiet_needed);
    if (warn) sb.warned = cycle;
}

// True while `slot` stands by (see Standby). Redis unreachable counts as no news.
bool Shipper::Impl::stand_by(std::uint32_t slot) {
    auto it = standby.find(slot);
    if (it == standby.end() || !it->second.active) return false;
    Standby& sb = it->second;
    const NewestEntry n = newest_entry(admin, key_of(slot));
    if (!n.ok) return true;
    if (n.id != sb.last_seen) {
        sb.last_seen = n.id;
        sb.quiet = 0;
        return true;
    }
    if (++sb.quiet < sb.quiet_needed) return true;
    sb.active = false;
    sb.last_takeover = 0;  // the takeover that follows is a failover, not a collision
    spdlog::info("{}: no other writer on {} for {} cycles; this host ships it again", state.at(slot).name(),
                 key_of(slot), sb.quiet);
    return false;
}

// The coordinator tries its connection once per cycle, whatever the connection's backoff says:
// one attempt per poll interval cannot storm Redis, and a Redis that answers again (after a
// restart, an outage or a long SIGSTOP) is noticed within one poll interval, not after a backoff
// that grew to 30 s while it was away. When the connection (re)opens, the publisher is told to
// reconnect before its next batch, so the cycle's XADDs do not go down its dead connection.
// Returns whether the connection was (re)opened now.
bool Shipper::Impl::probe_redis() {
    if (admin.connected()) {
        if (!publisher.connected()) publisher.reconnect_soon();
        return false;
    }
    if (!admin.connect()) return false;
    publisher.reconnect_soon();
    return true;
}

// XADDs the publisher sent on a connection that then failed were not committed, and are shipped
// again; but a Redis that was hung (SIGSTOP, swapping) executes them when it resumes, maybe after
// this cycle's stream check said "consistent": duplicates. Killing that connection first makes
// Redis drop whatever it had not executed yet, so the check sees all it ever will from it.
void Shipper::Impl::kill_stale_publisher() {
    publish::Publisher::ClientName stale;
    if (!publisher.stale_client(stale) || !admin.connected()) return;
    Reply r = admin.command({"CLIENT", "KILL", "ID", stale.id, "ADDR", stale.addr});
    if (!r) return;  // unreachable again: next cycle
    // An error is "No such client" (it is gone: nothing left to execute) or an ACL refusal
    // (nothing we can do; the takeover check still catches what landed before it).
    if (r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).find("No such client") == std::string_view::npos)
        spdlog::debug("CLIENT KILL ID {} ADDR {} refused: {}", stale.id, stale.addr, std::string_view(r->str, r->len));
    publisher.forget_stale_client(stale.id);
}

bool Shipper::Impl::reseed_from_stream(std::uint32_t slot, bool rebuild) {
    apply_gc_findings(true);  // no trim may run under the replay
    gc::ReplayResult replay = gc::replay_stream(admin, key_of(slot), state.at(slot).name());
    if (!replay.ok) {
        redis_log.failed(replay.problem, !options.one_shot);  // retried next cycle
        return false;
    }
    spdlog::info("{}: stream holds {} live records in {} entries", state.at(slot).name(),
                 replay.live.size(), replay.entries);
    replay.live.newest_written = replay.last_id;
    replay.live.stream_verified = true;
    replayed += replay.entries;
    // A rebuild not yet acknowledged stays a rebuild through a takeover of the half-rebuilt stream.
    replay.live.repairing = rebuild || state.at(slot).repairing;
    state.at(slot) = std::move(replay.live);
    diff.differ().dirty = true;
    return true;
}

// Reconcile: replay the stream up to our newest entry and repair both ways: PURGED for records
// the stream holds live that we do not (orphans), re-shipping for records it lacks or holds in
// an older version (backfill; the next read supplies their lines).
void Shipper::Impl::reconcile(std::uint32_t slot) {
    MdtState& mdt = state.at(slot);
    if (!mdt.stream_verified) return;
    gc::ReplayResult replay = gc::replay_stream(admin, key_of(slot), mdt.name(), mdt.newest_written);
    if (!replay.ok) {
        redis_log.failed(replay.problem, !options.one_shot);
        maintenance_problem = replay.problem;
        return;
    }
    RepairBatch orphans;
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    replay.live.for_each([&](RecordKey key, const LiveRecord& rec) {
        if (mdt.find(key)) return;
        orphans.events.push_back(make_purged(slot, key, rec.hash, now, mdt.name(), replay.live.fid(key, rec),
                                             std::string(replay.live.action(key, rec)), kFromMaintenance));
    });
    std::size_t backfill = 0;
    mdt.for_each([&](RecordKey key, LiveRecord& rec) {
        const LiveRecord* seen = replay.live.find(key);
        const std::uint8_t flag = !seen ? kReshipRebuild : seen->hash != rec.hash ? kReshipRepair : 0;
        rec.reship |= flag;
        backfill += flag != 0;
    });
    if (!orphans.events.empty() || backfill)
        spdlog::warn("{}: reconcile found {} orphaned and {} missing or stale records; repairing",
                     mdt.name(), orphans.events.size(), backfill);
    // Queued by the caller once every MDT is reconciled: the diff thread must stay idle while
    // this thread still walks the state.
    if (!orphans.events.empty()) repairs.push_back(std::move(orphans));
}

}  // namespace hsm::shipper

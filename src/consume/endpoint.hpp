// The Redis endpoint of a consumer: who to connect to and as whom, from its ReaderOptions (and
// those from a tool's settings). One place for that mapping, so the stream reader (fetcher.cpp), and the tools' heartbeat reads
// (hsm-action-top's shipper section, hsm-stream-stats) all connect as the same user to the same
// database; each then sets the timeouts its own thread can afford.
// Not installed: RedisEndpoint is an in-tree core type the package's headers do not expose.
#pragma once

#include "services/redis.hpp"
#include "hsm/consume/stream_reader.hpp"

namespace hsm::consume {

// Who to connect to and as whom: the five fields config::RedisSettings, ReaderOptions and
// RedisEndpoint all name alike, copied in one place (a tool's settings -> its reader options ->
// a connection), so a field added to the identity is added once.
template <class To, class From>
void copy_identity(To& to, const From& from) {
    to.host = from.host;
    to.port = from.port;
    to.db = from.db;
    to.username = from.username;
    to.password = from.password;
}

// host, port, db, username, password and the two timeouts of `o`; quiet (the caller reports its
// problems itself, once per state). Pure, thread-safe.
RedisEndpoint endpoint_of(const ReaderOptions& o);

}  // namespace hsm::consume

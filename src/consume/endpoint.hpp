// The Redis endpoint of a consumer: who to connect to and as whom, from its ReaderOptions. One
// place for that mapping, so the stream reader (fetcher.cpp), and the tools' heartbeat reads
// (hsm-action-top's shipper section, hsm-stream-stats) all connect as the same user to the same
// database; each then sets the timeouts its own thread can afford.
// Not installed: RedisEndpoint is an in-tree core type the package's headers do not expose.
#pragma once

#include "core/redis.hpp"
#include "hsm/consume/stream_reader.hpp"

namespace hsm::consume {

// host, port, db, username, password and the two timeouts of `o`; quiet (the caller reports its
// problems itself, once per state). Pure, thread-safe.
RedisEndpoint endpoint_of(const ReaderOptions& o);

}  // namespace hsm::consume

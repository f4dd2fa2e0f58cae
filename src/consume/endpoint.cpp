// ReaderOptions -> RedisEndpoint (see endpoint.hpp).
#include "consume/endpoint.hpp"

namespace hsm::consume {

RedisEndpoint endpoint_of(const ReaderOptions& o) {
    RedisEndpoint e;
    e.host = o.host;
    e.port = o.port;
    e.db = o.db;
    e.username = o.username;
    e.password = o.password;
    e.connect_timeout = o.connect_timeout;
    e.io_timeout = o.io_timeout;
    e.quiet = true;
    return e;
}

}  // namespace hsm::consume

// ReaderOptions -> RedisEndpoint (see endpoint.hpp).
#include "consume/endpoint.hpp"

namespace hsm::consume {

RedisEndpoint endpoint_of(const ReaderOptions& o) {
    RedisEndpoint e;
    copy_identity(e, o);
    e.connect_timeout = o.connect_timeout;
    e.io_timeout = o.io_timeout;
    e.quiet = true;
    return e;
}

}  // namespace hsm::consume

// The tools' name for the one control-byte escaping rule, which lives in services/escape.hpp
// so that log lines get it too.
#pragma once

#include "services/escape.hpp"

namespace hsm::consume::cli {

using hsm::escape_control;

}  // namespace hsm::consume::cli

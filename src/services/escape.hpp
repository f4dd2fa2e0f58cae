// Text from outside (paths and messages from `lfs`, fields of stream entries, Redis replies) made
// safe to show on a terminal or in a log: a file name or a stream field can hold escape sequences
// that would repaint or retitle the admin's terminal, or a newline that forges a whole output or
// log line. A service of its own so that the log formatter (logging.cpp) and the tools share this
// one rule.
#pragma once

#include <string>
#include <string_view>

namespace hsm {

// `text` with every control byte written as a visible escape: C0 controls and DEL as `\n`, `\t`,
// `\r` or `\xNN`, the C1 controls U+0080..U+009F (which some terminals obey) as `\u0080`..`\u009f`,
// and bytes that are not valid UTF-8 as `\xNN`. Printable text, valid UTF-8 included, and
// backslashes are kept as they are. Pure function; allocates the result only.
std::string escape_control(std::string_view text);

}  // namespace hsm

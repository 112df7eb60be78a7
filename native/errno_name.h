// Names an errno value ("ECHILD"), for the `code` property of the addon's system errors.
#pragma once

#include <string>

namespace node_criu {

// Returns the symbolic name of errnum (a positive errno), or "UNKNOWN" if it has none.
std::string ErrnoName(int errnum);

// Returns the C library's description of errnum ("Broken pipe"); safe on any thread.
std::string ErrnoDescription(int errnum);

}  // namespace node_criu

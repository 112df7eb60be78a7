// Whole small files of one directory read in one call (a checkpoint's images, to be hashed).
#pragma once

#include <napi.h>

namespace node_criu {

// readWholeFiles(dir: string, names: string[], buffer: Buffer): (number | string)[]
// Reads the files `names` of `dir`, in order, each whole, one after the other into `buffer` from
// its start, until one does not fit in what is left of it (or is not final: it grew while read).
// Returns four values per file read: its size, then its device, inode and change time in
// nanoseconds (decimal strings, taken before it was read). Throws a system error naming the file
// if one cannot be opened, inspected or read, or is not a regular file.
Napi::Value ReadWholeFiles(const Napi::CallbackInfo& info);

}  // namespace node_criu

// Names an errno value ("ECHILD"), for the `code` property of the addon's system errors.
#include "errno_name.h"

#include <uv.h>

#include <cerrno>
#include <cstring>

namespace node_criu {
namespace {

// The Linux errnos libuv 1.46 has no UV_E* code for, so uv_err_name_r() cannot name them.
// waitid()'s ECHILD is the one this addon really meets; the rest keep the codes complete.
const char* NameLibuvLacks(int errnum) {
  switch (errnum) {
#define NODE_CRIU_ERRNO(e) \
  case e:                  \
    return #e;
    NODE_CRIU_ERRNO(EADV)
    NODE_CRIU_ERRNO(EBADE)
    NODE_CRIU_ERRNO(EBADFD)
    NODE_CRIU_ERRNO(EBADMSG)
    NODE_CRIU_ERRNO(EBADR)
    NODE_CRIU_ERRNO(EBADRQC)
    NODE_CRIU_ERRNO(EBADSLT)
    NODE_CRIU_ERRNO(EBFONT)
    NODE_CRIU_ERRNO(ECHILD)
    NODE_CRIU_ERRNO(ECHRNG)
    NODE_CRIU_ERRNO(ECOMM)
    NODE_CRIU_ERRNO(EDEADLK)
    NODE_CRIU_ERRNO(EDOM)
    NODE_CRIU_ERRNO(EDOTDOT)
    NODE_CRIU_ERRNO(EDQUOT)
    NODE_CRIU_ERRNO(EHWPOISON)
    NODE_CRIU_ERRNO(EIDRM)
    NODE_CRIU_ERRNO(EINPROGRESS)
    NODE_CRIU_ERRNO(EISNAM)
    NODE_CRIU_ERRNO(EKEYEXPIRED)
    NODE_CRIU_ERRNO(EKEYREJECTED)
    NODE_CRIU_ERRNO(EKEYREVOKED)
    NODE_CRIU_ERRNO(EL2HLT)
    NODE_CRIU_ERRNO(EL2NSYNC)
    NODE_CRIU_ERRNO(EL3HLT)
    NODE_CRIU_ERRNO(EL3RST)
    NODE_CRIU_ERRNO(ELIBACC)
    NODE_CRIU_ERRNO(ELIBBAD)
    NODE_CRIU_ERRNO(ELIBEXEC)
    NODE_CRIU_ERRNO(ELIBMAX)
    NODE_CRIU_ERRNO(ELIBSCN)
    NODE_CRIU_ERRNO(ELNRNG)
    NODE_CRIU_ERRNO(EMEDIUMTYPE)
    NODE_CRIU_ERRNO(EMULTIHOP)
    NODE_CRIU_ERRNO(ENAVAIL)
    NODE_CRIU_ERRNO(ENETRESET)
    NODE_CRIU_ERRNO(ENOANO)
    NODE_CRIU_ERRNO(ENOCSI)
    NODE_CRIU_ERRNO(ENOEXEC)
    NODE_CRIU_ERRNO(ENOKEY)
    NODE_CRIU_ERRNO(ENOLCK)
    NODE_CRIU_ERRNO(ENOLINK)
    NODE_CRIU_ERRNO(ENOMEDIUM)
    NODE_CRIU_ERRNO(ENOMSG)
    NODE_CRIU_ERRNO(ENOPKG)
    NODE_CRIU_ERRNO(ENOSR)
    NODE_CRIU_ERRNO(ENOSTR)
    NODE_CRIU_ERRNO(ENOTBLK)
    NODE_CRIU_ERRNO(ENOTNAM)
    NODE_CRIU_ERRNO(ENOTRECOVERABLE)
    NODE_CRIU_ERRNO(ENOTUNIQ)
    NODE_CRIU_ERRNO(EOWNERDEAD)
    NODE_CRIU_ERRNO(EPFNOSUPPORT)
    NODE_CRIU_ERRNO(EREMCHG)
    NODE_CRIU_ERRNO(EREMOTE)
    NODE_CRIU_ERRNO(ERESTART)
    NODE_CRIU_ERRNO(ERFKILL)
    NODE_CRIU_ERRNO(ESRMNT)
    NODE_CRIU_ERRNO(ESTALE)
    NODE_CRIU_ERRNO(ESTRPIPE)
    NODE_CRIU_ERRNO(ETIME)
    NODE_CRIU_ERRNO(ETOOMANYREFS)
    NODE_CRIU_ERRNO(EUCLEAN)
    NODE_CRIU_ERRNO(EUSERS)
    NODE_CRIU_ERRNO(EXFULL)
#undef NODE_CRIU_ERRNO
    default:
      return nullptr;
  }
}

// strerror_r is the GNU variant (returns the text) under glibc's default _GNU_SOURCE and the XSI
// one (returns 0 and fills buf) elsewhere; overloading on the result type reads either correctly.
[[maybe_unused]] const char* StrerrorText(const char* text, const char* /*buf*/) {
  return text;
}
[[maybe_unused]] const char* StrerrorText(int rc, const char* buf) {
  return rc == 0 ? buf : "Unknown error";
}

}  // namespace

std::string ErrnoName(int errnum) {
  if (const char* name = NameLibuvLacks(errnum)) return name;
  // libuv's names are the codes Node itself puts on its errors (95 is 'ENOTSUP' there, not
  // 'EOPNOTSUPP'), so an error from here matches one from fs or net for the same errno.
  // uv_err_name_r, unlike uv_err_name, does not leak a string for numbers it does not know.
  char buf[64];
  std::string name = uv_err_name_r(-errnum, buf, sizeof buf);
  return name.rfind("Unknown", 0) == 0 ? "UNKNOWN" : name;
}

std::string ErrnoDescription(int errnum) {
  // Not strerror(): its static buffer is shared with every thread, and Workers are threads.
  char buf[256] = "";
  return StrerrorText(strerror_r(errnum, buf, sizeof buf), buf);
}

}  // namespace node_criu

# Builds node_criu.node, the thin native addon of node-criu (native/*.cc), on Linux only.
{
  'variables': {
    # The project's own builds (scripts/native-build.mjs: setup, prepack, CI) pass -Dwerror=true so
    # that a new warning fails CI; users' builds from source keep warnings as warnings, since a
    # newer compiler's new warning must not break their install.
    'werror%': 'false',
  },
  'target_defaults': {
    'conditions': [
      ['werror=="true"', {'cflags_cc': ['-Werror']}],
    ],
  },
  'targets': [
    {
      'target_name': 'node_criu',
      'conditions': [
        ['OS=="linux"', {
          'sources': [
            'native/addon.cc',
            'native/dont_fork_buffer.cc',
            'native/errno_name.cc',
            'native/fd_flags.cc',
            'native/fd_pairs.cc',
            'native/fd_poll.cc',
            'native/pid_watcher.cc',
            'native/pidfd.cc',
            'native/ptrace_inject.cc',
            'native/pty.cc',
            'native/proc_fds.cc',
            'native/read_files.cc',
            'native/seqpacket.cc',
            'native/seqpacket_io.cc',
            'native/spawn_fds.cc',
            'native/subreaper.cc',
            'native/syscall_inject.cc',
            'native/sysv_ipc.cc',
            'native/system_error.cc',
          ],
          'include_dirs': [
            "<!(node -p \"require('node-addon-api').include_dir\")",
          ],
          'defines': [
            # Node-API 8 (Node >= 12.22/14.17/16): the oldest version with async cleanup hooks,
            # which closing uv handles when a Worker exits needs.
            'NAPI_VERSION=8',
            'NODE_ADDON_API_DISABLE_DEPRECATED',
            # Exception policy: C++ exceptions. A failing Node-API call throws Napi::Error, which
            # node-addon-api turns into a JS exception when it leaves a method called from JS, so
            # no call site can forget to check for a pending exception. The only code not called
            # from JS, the two uv_poll callbacks, catches everything itself and hands it to
            # napi_fatal_exception (an exception must never unwind into libuv's C frames).
            'NAPI_CPP_EXCEPTIONS',
          ],
          'cflags!': ['-fno-exceptions'],
          'cflags_cc!': ['-fno-exceptions', '-std=gnu++17', '-std=gnu++20'],
          'cflags_cc': ['-std=c++17', '-fexceptions', '-Wall', '-Wextra'],
        }, {
          # Elsewhere (macOS runs the simulator backend) build nothing, so that `npm install`
          # succeeds without compiling Linux-only code; loadNative() then explains what is missing.
          'type': 'none',
        }],
      ],
    },
    {
      # The launcher spawn() and fork() start children through (native/launcher.cc): a plain
      # executable, since what it does (close fds, unshare, seccomp) must happen in the child
      # between fork and exec, where neither Node nor an addon runs.
      'target_name': 'node_criu_launcher',
      'conditions': [
        ['OS=="linux"', {
          'type': 'executable',
          'sources': ['native/launcher.cc'],
          'cflags_cc!': ['-std=gnu++17', '-std=gnu++20'],
          'cflags_cc': ['-std=c++17', '-Wall', '-Wextra'],
        }, {
          'type': 'none',
        }],
      ],
    },
  ],
}

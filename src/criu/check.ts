// check() on real CRIU: is there a CRIU, is it new enough, does `criu check` pass, are we allowed.
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriuError } from '../errors.js';
import { BUILD_NATIVE, BUILD_TOOLS, INSTALL_CRIU } from '../fix-hints.js';
import { RequestType } from '../gen/criu_rpc_pb.js';
import { CriuRpcClient, criuOptions } from '../rpc/client.js';
import type { CheckOptions, CheckResult, FeatureProblem, Problem } from '../types.js';
import { locateCriu } from './locate.js';
import { LOG_LEVEL, meaningfulErrors, readLogErrors } from './log.js';
import { privilegeProblems } from './privileges.js';
import { formatVersion, isSupportedVersion, MIN_VERSION } from './runtime.js';

function problemFrom(error: unknown): Problem {
  if (error instanceof CriuError) {
    const fix =
      error.code === 'CRIU_NOT_FOUND' || error.code === 'CRIU_TOO_OLD'
        ? `Run '${INSTALL_CRIU}' (as root, on Debian/Ubuntu), or install CRIU >= 4.1 and set CRIU_BIN.`
        : 'See the message.';
    return { code: error.code, message: error.message, fix };
  }
  const e = error as { code?: string; message?: string };
  if (e.code === 'NATIVE_ADDON_MISSING') {
    return {
      code: 'UNSUPPORTED',
      message: e.message ?? 'native addon missing',
      fix: `Run '${BUILD_NATIVE}' in the project that installed node-criu (needs ${BUILD_TOOLS}).`,
    };
  }
  return { code: 'UNSUPPORTED', message: String(e.message ?? error), fix: 'See the message.' };
}

/** CRIU's FEATURE_CHECK found no usable userfaultfd (criu/uffd.c: uffd_open fails). */
const LAZY_PAGES_UNAVAILABLE: FeatureProblem = {
  feature: 'lazyPages',
  message:
    "Lazy restore cannot work here: CRIU cannot open a userfaultfd (a kernel without CONFIG_USERFAULTFD, or a seccomp profile, such as a container runtime's default one, that blocks the userfaultfd system call).",
  fix: 'Run on a kernel with CONFIG_USERFAULTFD=y and allow userfaultfd in the seccomp profile (docker: --security-opt seccomp=PROFILE with userfaultfd allowed); meanwhile restore without lazyPages.',
};

export async function criuCheck(options: CheckOptions): Promise<CheckResult> {
  const result: CheckResult = {
    backend: 'criu',
    usable: false,
    version: undefined,
    criuPath: undefined,
    features: undefined,
    problems: [],
    unavailable: [],
  };
  const privileges = privilegeProblems();
  result.problems.push(...privileges);
  if (process.platform !== 'linux') {
    result.problems.push({
      code: 'UNSUPPORTED',
      message: `CRIU needs Linux; this is ${process.platform}.`,
      fix: 'Use the simulator backend here.',
    });
    return result;
  }
  try {
    const client = new CriuRpcClient(locateCriu(options.criuPath, 'check').path);
    result.criuPath = client.criuPath;
    const version = await client.version();
    result.version = formatVersion(version);
    if (!isSupportedVersion(version)) {
      result.problems.push({
        code: 'CRIU_TOO_OLD',
        message: `CRIU ${result.version} is older than ${MIN_VERSION.major}.${MIN_VERSION.minor}.`,
        fix: `Run '${INSTALL_CRIU}' (as root, on Debian/Ubuntu), or install CRIU >= 4.1 and set CRIU_BIN.`,
      });
      return result;
    }
    const features = await client.featureCheck();
    result.features = { memTrack: features.memTrack, lazyPages: features.lazyPages, pidfdStore: features.pidfdStore };
    if (!features.lazyPages) result.unavailable.push(LAZY_PAGES_UNAVAILABLE);
    // `criu check` itself fails without the privileges: their problem says it better.
    if (privileges.length === 0) {
      const failure = await kernelCheck(client);
      if (failure) result.problems.push(failure);
    }
  } catch (error) {
    result.problems.push(problemFrom(error));
  }
  result.usable = result.problems.length === 0;
  return result;
}

/** CRIU's own CHECK request (`criu check`): kernel features it cannot work without. */
async function kernelCheck(client: CriuRpcClient): Promise<Problem | undefined> {
  const workDir = await mkdtemp(join(tmpdir(), 'node-criu-check-'));
  const fd = openSync(workDir, 'r');
  try {
    const opts = criuOptions({ workDirFd: fd, logLevel: LOG_LEVEL, logFile: 'check.log' });
    const { response } = await client.call(RequestType.CHECK, opts, { operation: 'check' });
    if (response.success) return undefined;
    const errors = meaningfulErrors(await readLogErrors(join(workDir, 'check.log')));
    return {
      code: 'UNSUPPORTED',
      message: `'criu check' fails on this kernel: ${errors.slice(0, 3).join('; ') || 'no reason logged'}`,
      fix: 'Use a kernel with the features CRIU lists, or a newer CRIU.',
    };
  } finally {
    closeSync(fd);
    await rm(workDir, { recursive: true, force: true });
  }
}

// What this process lacks for CRIU: root, or the capabilities CRIU checks, read from /proc/self/status.
import { readFileSync } from 'node:fs';
import type { Problem } from '../types.js';

/** Capability numbers (linux/capability.h) that CRIU looks at. */
export const CAPS = {
  CAP_SETUID: 7,
  CAP_NET_ADMIN: 12,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_RESOURCE: 24,
  CAP_CHECKPOINT_RESTORE: 40,
} as const;
export type CapName = keyof typeof CAPS;

export interface PrivilegeFacts {
  euid: number;
  /** CapEff of /proc/self/status. */
  capEff: bigint;
  /** CapAmb: the capabilities a non-root process passes on to the CRIU it executes. */
  capAmb: bigint;
  /** CapBnd: the most a root process's CRIU can have (less in a restricted container). */
  capBnd: bigint;
}

/** The capability masks of a /proc/PID/status text (missing lines count as no capabilities). */
export function parseStatus(status: string, euid: number): PrivilegeFacts {
  const mask = (field: string) => {
    const hex = new RegExp(`^${field}:\\s*([0-9a-fA-F]+)\\s*$`, 'm').exec(status)?.[1];
    return hex ? BigInt(`0x${hex}`) : 0n;
  };
  return { euid, capEff: mask('CapEff'), capAmb: mask('CapAmb'), capBnd: mask('CapBnd') };
}

export function readPrivilegeFacts(): PrivilegeFacts {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // No /proc: treated as no capabilities, which check() then reports.
  }
  return parseStatus(status, process.geteuid?.() ?? -1);
}

export function hasCap(mask: bigint, cap: CapName): boolean {
  return ((mask >> BigInt(CAPS[cap])) & 1n) === 1n;
}

/**
 * The capabilities the CRIU we execute will have. Root's CRIU gets the bounding set (all of it,
 * unless a container dropped some); a non-root process only passes on its ambient ones (file
 * capabilities set on the CRIU binary with setcap add to that, and cannot be seen from here).
 */
export function criuCapabilities(facts: PrivilegeFacts): bigint {
  return facts.euid === 0 ? facts.capBnd : facts.capAmb;
}

/**
 * Everything missing for checkpoint/restore, each with what to do; empty when nothing is.
 * CRIU itself requires CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN even as root, and as non-root
 * only works in its unprivileged mode (`--unprivileged`, RPC opts.unprivileged), which needs
 * CAP_CHECKPOINT_RESTORE, cannot restore TCP connections without CAP_NET_ADMIN, and can only
 * seize processes of other users with CAP_SYS_PTRACE.
 */
export function privilegeProblems(facts: PrivilegeFacts = readPrivilegeFacts()): Problem[] {
  const caps = criuCapabilities(facts);
  const problems: Problem[] = [];
  const checkpointCap = hasCap(caps, 'CAP_CHECKPOINT_RESTORE') || hasCap(caps, 'CAP_SYS_ADMIN');
  if (facts.euid === 0) {
    if (!checkpointCap) {
      problems.push({
        code: 'NOT_PERMITTED',
        message:
          'Running as root, but without CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE (a restricted container): CRIU refuses to start.',
        fix: 'Grant the container CAP_CHECKPOINT_RESTORE (Linux >= 5.9) or CAP_SYS_ADMIN, and CAP_SYS_PTRACE.',
      });
    }
    if (!hasCap(caps, 'CAP_SYS_PTRACE')) {
      problems.push({
        code: 'NOT_PERMITTED',
        message: 'Running as root, but without CAP_SYS_PTRACE: CRIU cannot seize the processes it dumps.',
        fix: 'Grant CAP_SYS_PTRACE.',
      });
    }
    return problems;
  }
  problems.push({
    code: 'NOT_PERMITTED',
    message: `Not running as root (euid ${facts.euid}): CRIU then works only in its unprivileged mode, which node-criu does not enable, and CRIU refuses to run otherwise.`,
    fix: 'Run as root (sudo).',
  });
  const missing = (['CAP_CHECKPOINT_RESTORE', 'CAP_SYS_PTRACE'] as const).filter(
    (cap) => !(cap === 'CAP_CHECKPOINT_RESTORE' ? checkpointCap : hasCap(caps, cap)),
  );
  if (missing.length > 0) {
    problems.push({
      code: 'NOT_PERMITTED',
      message: `The CRIU this process runs would lack ${missing.join(' and ')} (a non-root process passes on only its ambient capabilities).`,
      fix: `Give the CRIU binary the capabilities (setcap cap_checkpoint_restore,cap_sys_ptrace+eip <criu>), or run this process with them as ambient capabilities; CRIU's unprivileged mode then still cannot restore TCP connections without CAP_NET_ADMIN.`,
    });
  }
  return problems;
}

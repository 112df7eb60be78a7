// Attaches SysV segments inside a stopped task at the addresses its attachments had (shmat with
// SHM_REMAP over the placeholders), by syscall injection.
import { CriuError, type CriuOperation, errnoName } from '../errors.js';
import { describe, type SysvAttachment } from './attachments.js';
import type { FinalState, InjectedCall } from './inject.js';
import { injectCalls } from './inject.js';
import { SHM_EXEC, SHM_RDONLY, SHM_REMAP, SYS, syscallError } from './linux-ipc.js';

export function shmatCall(a: SysvAttachment, shmid: number): InjectedCall {
  const flags = SHM_REMAP | (a.access === 'r' ? SHM_RDONLY : 0) | (a.exec ? SHM_EXEC : 0);
  return { nr: SYS.shmat, args: [BigInt(shmid), BigInt(`0x${a.start}`), BigInt(flags)] };
}

/**
 * Attaches each of a task's attachments to segment `idOf(a)` in place, then leaves the task in
 * `final` (with no attachments, only that). Throws a CriuError naming the first attachment that failed (those before it stay
 * attached; the caller decides whether the task lives on).
 */
export async function attachInPlace(
  pid: number,
  attachments: readonly SysvAttachment[],
  idOf: (a: SysvAttachment) => number,
  final: FinalState,
  operation: CriuOperation,
): Promise<void> {
  const results = await injectCalls(
    pid,
    attachments.map((a) => shmatCall(a, idOf(a))),
    final,
    operation,
  );
  attachments.forEach((a, i) => {
    const result = results[i];
    if (result === BigInt(`0x${a.start}`)) return;
    const errno = result === undefined ? undefined : syscallError(result);
    const why = errno === undefined ? 'it was not run' : `shmat failed with ${errnoName(errno)}`;
    throw new CriuError('INVALID_SUBSTITUTION', `Could not attach ${describe(a)} to segment ${idOf(a)}: ${why}.`, {
      operation,
      pid,
    });
  });
}

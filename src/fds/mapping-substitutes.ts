// The substitutes of left-out shared file mappings (POSIX shm, mmap'ed files) at restore, added
// to the fd substitution's plan: CRIU inherits them by the mapping's key, as it does fds.
import { constants, fstatSync, openSync } from 'node:fs';
import type { MappingEntry } from './proc-maps.js';
import { invalid, type SubstitutionPlan } from './substitute.js';

/**
 * Adds the substitutes of left-out shared file mappings (by original path) to `plan`: the
 * substitute must have the dumped size, since CRIU checks it when it maps the file again.
 */
export function planMappings(
  mappings: readonly MappingEntry[],
  subs: Readonly<Record<string, string | number>> = {},
  plan: SubstitutionPlan,
  skipRwxCheck = false,
): void {
  for (const [path, sub] of Object.entries(subs)) {
    const entry = mappings.find((m) => m.path === path);
    if (!entry?.leftOut) {
      throw invalid(
        entry
          ? `The mapping of ${path} was dumped, not left out: checkpoint with leaveOutMappings to substitute it.`
          : `No task of the checkpoint had ${path} mapped shared.`,
      );
    }
    let fd: number;
    if (typeof sub === 'number') fd = sub;
    else {
      try {
        fd = openSync(sub, entry.access === 'rw' ? constants.O_RDWR : constants.O_RDONLY);
      } catch (error) {
        throw Object.assign(
          invalid(`The substitute of mapping ${path} cannot be opened: ${(error as Error).message}.`),
          { cause: error },
        );
      }
      plan.opened.push(fd);
    }
    let stat: { size: number; mode: number };
    try {
      stat = fstatSync(fd);
    } catch (cause) {
      throw Object.assign(
        invalid(`The substitute of mapping ${path} is fd ${fd}, which this process does not have open.`),
        { cause },
      );
    }
    const { size, mode } = stat;
    if (size !== entry.size) {
      throw invalid(
        `The substitute of mapping ${path} has ${size} bytes; it must have the dumped ${entry.size}.`,
        entry.pid,
      );
    }
    if (!skipRwxCheck && (mode & 0o777) !== (entry.mode & 0o777)) {
      const octal = (m: number) => (m & 0o777).toString(8);
      throw invalid(
        `The substitute of mapping ${path} has mode ${octal(mode)}, the original ${octal(entry.mode)}: chmod it, or pass skipFileRwxCheck: true.`,
        entry.pid,
      );
    }
    plan.inheritFds[entry.key] = fd;
  }
  const missing = mappings.filter((m) => m.leftOut && plan.inheritFds[m.key] === undefined);
  if (missing.length > 0) {
    throw invalid(
      `These mappings were left out and need a substitute (mappings option): ${missing.map((m) => m.path).join(', ')}.`,
    );
  }
}

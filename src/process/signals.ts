// Signal names and numbers as Node names them, for the restored process handles.
import { constants } from 'node:os';

/** The number of a signal given by name or number; TypeError for a name Node does not know. */
export function signalNumber(signal: NodeJS.Signals | number): number {
  if (typeof signal === 'number') return signal;
  const n = constants.signals[signal];
  if (n === undefined)
    throw new TypeError(`Unknown signal '${signal}': use a name of os.constants.signals or a number.`);
  return n;
}

/** Node's name of signal `n`, if it has one (real-time signals have none). */
export function signalName(n: number): NodeJS.Signals | undefined {
  return (Object.entries(constants.signals) as [NodeJS.Signals, number][]).find(([, value]) => value === n)?.[0];
}

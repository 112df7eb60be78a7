// Runs one of the project's scripts (a demo) under this Node and collects what it printed.
import { type StdioOptions, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The script at `path` (relative to the project root), run to its end: exit code and stdout+stderr. */
export async function runScript(
  path: string,
  env: NodeJS.ProcessEnv = {},
  stdio: StdioOptions = ['ignore', 'pipe', 'pipe'],
): Promise<{ code: number | null; out: string }> {
  const script = fileURLToPath(new URL(`../../../${path}`, import.meta.url));
  const child = spawn(process.execPath, [script], { stdio, env: { ...process.env, ...env } });
  let out = '';
  const collect = (d: Buffer) => {
    out += d;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, out };
}

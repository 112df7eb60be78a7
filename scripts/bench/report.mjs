// Writes the results: bench/results.md (the table the README shows) and bench/results.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const fmt = (x, unit) => {
  if (typeof x !== 'number') return '';
  if (unit === 'GB/s' || unit === 'ratio') return x.toFixed(2);
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
};

function targetText(t) {
  if (!t) return '';
  return `${t.of === 'a' ? 'value' : 'ratio'} ${t.op} ${t.value}`;
}

export function markdown(rows, meta) {
  const lines = [
    `node-criu vs raw CRIU ${meta.criuVersion} (CLI), ${meta.runs} alternating runs per side (case 1: ${meta.smallRuns} for the small victims, ${meta.largeRuns ?? meta.runs} for 100 MiB and 1 GiB)${meta.quick ? ' (--quick)' : ''};`,
    `${meta.date}, ${meta.machine}. Images on tmpfs. Ratio = node-criu median / raw median.`,
    '',
    '| # | case | unit | node-criu median | min | max | raw/baseline median | min | max | ratio | target | met |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const met = r.met === null ? '' : r.met ? 'yes' : '**no**';
    const name = r.note ? `${r.name} (${r.note})` : r.name;
    lines.push(
      `| ${r.case} | ${name} | ${r.unit} | ${fmt(r.a?.median, r.unit)} | ${fmt(r.a?.min, r.unit)} | ${fmt(r.a?.max, r.unit)} | ${fmt(r.b?.median, r.unit)} | ${fmt(r.b?.min, r.unit)} | ${fmt(r.b?.max, r.unit)} | ${fmt(r.ratio, 'ratio')} | ${targetText(r.target)} | ${met} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function writeResults(root, name, rows, meta) {
  const dir = join(root, 'bench');
  mkdirSync(dir, { recursive: true });
  const md = markdown(rows, meta);
  writeFileSync(join(dir, `${name}.md`), md);
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
  return md;
}

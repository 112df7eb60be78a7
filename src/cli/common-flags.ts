// The flags every node-criu command takes (--criu, --timeout and --log-level have no effect where no CRIU runs).
export const common = {
  json: { type: 'boolean' },
  criu: { type: 'string' },
  timeout: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

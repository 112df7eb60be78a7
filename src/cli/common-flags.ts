// The flags every node-criu command takes (--criu and --timeout have no effect where no CRIU runs).
export const common = {
  json: { type: 'boolean' },
  criu: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

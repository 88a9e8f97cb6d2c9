#!/usr/bin/env node
// The `roster` command. Runs the compiled CLI (npm ci builds it through the `prepare` script).
import { main } from '../dist/cli/main.js';

// `roster accounts | head -2`: the reader went away; stop quietly, as git and kubectl do, without a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv);

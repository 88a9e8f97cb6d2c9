#!/usr/bin/env node
// The `roster` command. Runs the compiled CLI (npm ci builds it through the `prepare` script).
import { main } from '../dist/cli/main.js';

// `roster accounts | head -2`: once the reader has gone, what is left to print goes nowhere, quietly, as git and
// kubectl do, without a stack trace. The command still finishes (an apply is not cut short by a closed pipe) and
// exits with its own code: a failed op is not turned into a success because nobody read the output.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
});

process.exitCode = await main(process.argv);

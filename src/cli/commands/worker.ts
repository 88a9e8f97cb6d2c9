/** @module `roster worker`: run cluster jobs until SIGTERM; list the dead letters (--failed) and retry one (--retry). */

import type { Command } from 'commander';
import { RosterError } from '../../core/errors.js';
import { createOutput } from '../output.js';
import { loadCommandConfig } from '../session.js';

// BullMQ, Redis and the core load when a worker starts, not for `roster --help`.
const cluster = () => Promise.all([import('../../cluster/queue.js'), import('../../cluster/worker.js')]);

interface WorkerOptions {
  concurrency: number;
  metricsPort?: number;
  metricsHost: string;
  failed?: boolean;
  retry?: string;
  json?: boolean;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description(
      'cluster mode (queue: in roster.yaml): run syncs and applies from the queue until SIGTERM, which lets the jobs in hand finish',
    )
    .option('--concurrency <n>', 'jobs run at once per queue', toCount, 4)
    .option('--metrics-port <port>', 'serve Prometheus metrics at /metrics on this port', toCount)
    .option('--metrics-host <host>', 'address for /metrics', '127.0.0.1')
    .option('--failed', 'list the jobs that ran out of attempts (the dead letters) and exit')
    .option('--retry <queue/id>', 'send one dead letter back to its queue and exit')
    .option('--json', 'print --failed / --retry as JSON')
    .action(async (options: WorkerOptions, command: Command) => {
      const config = await loadCommandConfig(command);
      if (options.failed || options.retry) {
        const settings = (await cluster())[1].requireCluster(config);
        const queues = new (await cluster())[0].ClusterQueues(
          settings,
          config.apps.map((a) => a.id),
        );
        const out = createOutput({ json: options.json ?? false });
        try {
          if (options.retry) {
            const [queue, id] = splitJob(options.retry);
            const letter = await queues.retry(queue, id);
            out.result(letter);
            out.line(`${letter.queue}/${letter.id} (${letter.name}) is queued again`);
          } else {
            const letters = await queues.deadLetters();
            out.result(letters);
            if (letters.length === 0) out.line('no failed jobs');
            out.table([
              ['job', 'name', 'attempts', 'failed at', 'reason'],
              ...letters.map((l) => [
                `${l.queue}/${l.id}`,
                l.name,
                String(l.attempts),
                l.failedAt ?? '-',
                l.failedReason,
              ]),
            ]);
          }
        } finally {
          await queues.close();
        }
        return;
      }
      const level = process.env['ROSTER_LOG_LEVEL'] ?? 'info';
      const { pino } = await import('pino');
      const log = pino({ level }, pino.destination(2));
      const worker = await (await cluster())[1].startWorker({
        config,
        concurrency: options.concurrency,
        metricsHost: options.metricsHost,
        ...(options.metricsPort !== undefined ? { metricsPort: options.metricsPort } : {}),
        log,
      });
      const signal = await new Promise<NodeJS.Signals>((done) => {
        const stop = (s: NodeJS.Signals) => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          done(s);
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
      log.info({ signal, active: worker.active }, 'stopping: no new jobs; letting the ones in hand finish');
      await worker.close();
      log.info('stopped');
    });
}

function splitJob(value: string): [string, string] {
  const at = value.lastIndexOf('/');
  if (at <= 0 || at === value.length - 1) {
    throw new RosterError('invalid_input', `"${value}" is not a queue/id`, {
      where: '--retry',
      fix: 'copy the job column of roster worker --failed, e.g. roster-app-targetprocess/op.…',
    });
  }
  return [value.slice(0, at), value.slice(at + 1)];
}

function toCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new RosterError('invalid_input', `"${value}" is not a whole number`, {
      fix: 'give a whole number (a count, or a TCP port)',
    });
  }
  return n;
}

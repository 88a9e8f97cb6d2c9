/** @module Live progress for people: one line per app, redrawn in place on a terminal, plain lines elsewhere. */

export interface ProgressLine {
  label: string;
  done: number;
  total: number | null;
  detail: string;
  finished: boolean;
}

export interface ProgressBoard {
  update(key: string, line: ProgressLine): void;
  finish(): void;
}

const BAR = 24;

/** Renders a bar like `[########----------------]  412/1000`; without a total, just the count. */
export function renderLine(line: ProgressLine, labelWidth: number): string {
  const label = line.label.padEnd(labelWidth);
  if (line.total !== null && line.total > 0) {
    const share = Math.min(1, line.done / line.total);
    const filled = Math.round(share * BAR);
    return `${label}  [${'#'.repeat(filled)}${'-'.repeat(BAR - filled)}] ${line.done}/${line.total}  ${line.detail}`;
  }
  return `${label}  ${String(line.done).padStart(6)} so far  ${line.detail}`;
}

export function createProgressBoard(stream: NodeJS.WriteStream = process.stderr): ProgressBoard {
  const lines = new Map<string, ProgressLine>();
  const tty = stream.isTTY === true;
  let drawn = 0;
  let lastDraw = 0;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const width = Math.max(...[...lines.values()].map((l) => l.label.length));
    if (drawn > 0) stream.write(`\x1b[${drawn}A`);
    for (const line of lines.values()) stream.write(`\x1b[2K${renderLine(line, width)}\n`);
    drawn = lines.size;
  };
  return {
    update(key, line) {
      const previous = lines.get(key);
      lines.set(key, line);
      if (tty) draw(line.finished);
      else if (line.finished && !previous?.finished) {
        stream.write(`${renderLine(line, line.label.length)}\n`);
      }
    },
    finish() {
      if (tty) draw(true);
    },
  };
}

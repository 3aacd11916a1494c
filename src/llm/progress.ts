/**
 * A one-line progress bar on stderr for downloads (Ollama pulls, the embedded default model).
 * On a terminal it redraws in place; otherwise (logs, pipes) it prints a line every 10%.
 */
const WIDTH = 28;

const mb = (n: number): string => `${(n / 1e6).toFixed(n < 1e8 ? 1 : 0)} MB`;

export interface ProgressBar {
  update(completed: number, total: number, status?: string): void;
  done(message?: string): void;
}

export function progressBar(label: string, out: NodeJS.WriteStream = process.stderr): ProgressBar {
  const tty = Boolean(out.isTTY);
  let lastStep = -1;
  let drawn = false;
  return {
    update(completed, total, status) {
      if (!(total > 0)) {
        if (status && !tty) out.write(`${label}: ${status}\n`);
        else if (status) {
          out.write(`\r${label}: ${status}\x1b[K`);
          drawn = true;
        }
        return;
      }
      const frac = Math.min(1, Math.max(0, completed / total));
      if (tty) {
        const fill = Math.round(frac * WIDTH);
        out.write(`\r${label} [${"#".repeat(fill)}${"-".repeat(WIDTH - fill)}] ${(frac * 100).toFixed(0)}% ${mb(completed)}/${mb(total)}\x1b[K`);
        drawn = true;
        return;
      }
      const step = Math.floor(frac * 10);
      if (step !== lastStep) {
        lastStep = step;
        out.write(`${label}: ${(frac * 100).toFixed(0)}% (${mb(completed)} of ${mb(total)})\n`);
      }
    },
    done(message) {
      if (drawn) out.write("\n");
      if (message) out.write(`${label}: ${message}\n`);
    },
  };
}

/**
 * docker compose's progress lines, as plain text on stderr: ` ✔ Network app_default  Created`,
 * ` ✔ Container app-web-1  Started`, ` ✘ Container app-db-1  Error`. One line per finished step.
 */
import type { Output } from '../../context.js';

export type ProgressKind = 'Network' | 'Volume' | 'Container' | 'Image';

export class Progress {
  constructor(private readonly out: Output) {}

  done(kind: ProgressKind, name: string, status: string): void {
    this.out.write(` ✔ ${kind} ${name}  ${status}\n`);
  }

  failed(kind: ProgressKind, name: string, status: string): void {
    this.out.write(` ✘ ${kind} ${name}  ${status}\n`);
  }

  warn(message: string): void {
    this.out.write(`WARN[0000] ${message}\n`);
  }
}

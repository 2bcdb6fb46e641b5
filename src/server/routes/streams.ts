/** Wiring a process's streams to a hijacked connection, docker-style (raw for TTY, 8-byte frames otherwise). */
import type { Duplex } from 'node:stream';
import { encodeFrame } from '../frames.js';
import type { ProcessStreams } from './backend.js';

export function pipeToHijacked(socket: Duplex, head: Buffer, tty: boolean, p: ProcessStreams, opts: { stdin: boolean; stdout: boolean; stderr: boolean }): Promise<void> {
  return new Promise<void>((resolve) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      p.close();
      socket.end();
      resolve();
    };
    const forward = (stream: NodeJS.ReadableStream | undefined, id: 1 | 2, wanted: boolean): Promise<void> => {
      if (!stream) return Promise.resolve();
      return new Promise<void>((done) => {
        stream.on('data', (chunk: Buffer | string) => {
          if (!wanted || socket.destroyed) return;
          const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          socket.write(tty ? data : encodeFrame(id, data));
        });
        stream.on('end', () => done());
        stream.on('close', () => done());
        stream.on('error', () => done());
      });
    };
    const outputs = Promise.all([forward(p.stdout, 1, opts.stdout), forward(p.stderr, 2, opts.stderr)]);
    if (opts.stdin && p.stdin) {
      const stdin = p.stdin;
      if (head.length > 0) stdin.write(head);
      socket.on('data', (d: Buffer) => stdin.write(d));
      socket.on('end', () => stdin.end());
    } else {
      socket.resume();
    }
    socket.on('close', finish);
    socket.on('error', finish);
    void Promise.all([outputs, p.done]).then(finish, finish);
  });
}

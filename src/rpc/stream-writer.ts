import type { ServerHttp2Stream } from 'node:http2';
import { rpcErrors } from './errors.js';
import type { StreamWriter } from './route.js';

/** NDJSON onto an HTTP/2 stream, honouring flow control: a write waits for 'drain' when the window is full. */
export class NdjsonWriter implements StreamWriter<unknown> {
  constructor(
    private readonly stream: ServerHttp2Stream,
    readonly signal: AbortSignal,
  ) {}

  async write(message: unknown): Promise<void> {
    if (this.signal.aborted || this.stream.destroyed || this.stream.writableEnded) {
      throw rpcErrors.canceled('the client went away');
    }
    if (this.stream.write(`${JSON.stringify(message)}\n`)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.stream.off('drain', onDrain);
        this.stream.off('close', onClose);
        this.signal.removeEventListener('abort', onClose);
      };
      const onDrain = (): void => {
        done();
        resolve();
      };
      const onClose = (): void => {
        done();
        reject(rpcErrors.canceled('the client went away'));
      };
      this.stream.on('drain', onDrain);
      this.stream.on('close', onClose);
      this.signal.addEventListener('abort', onClose, { once: true });
    });
  }
}

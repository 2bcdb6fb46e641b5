import { StringDecoder } from 'node:string_decoder';
import { rpcErrors } from './errors.js';

/** Splits an NDJSON byte stream into JSON values; chunks may cut lines and UTF-8 sequences anywhere. */
export class NdjsonDecoder {
  private readonly text = new StringDecoder('utf8');
  private partial = '';

  push(chunk: Buffer | string): unknown[] {
    const data = this.partial + (typeof chunk === 'string' ? chunk : this.text.write(chunk));
    const lines = data.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '').map(parseLine);
  }

  /** Call at the end of the stream: a trailing line without its newline is still a value. */
  end(): unknown[] {
    const rest = this.partial + this.text.end();
    this.partial = '';
    return rest.trim() === '' ? [] : [parseLine(rest)];
  }
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch (cause) {
    throw rpcErrors.badResponse(`malformed NDJSON line: ${(cause as Error).message}`);
  }
}

/**
 * A container run in the foreground, as `run` (without -d) and `start -a` do it, in docker's order:
 * attach (hijacked stream, copied at once so stdin can flow), register the wait (`next-exit`, or `removed` for
 * `--rm` containers, which the daemon removes itself), start, size the TTY (and follow SIGWINCH), stream until the
 * output ends, then read the exit status from the wait. Signals are forwarded to the container meanwhile.
 */
import { containerAttach, containerKill, containerResize, containerWait } from '../../../client/containers.js';
import type { EngineClient } from '../../../client/index.js';
import type { CliContext } from '../../context.js';
import { errorText } from '../../errors.js';
import { runAttachSession } from './attach-session.js';
import type { SessionEnd } from './attach-session.js';
import { forwardSignals } from './signals.js';
import type { Terminal } from './terminal.js';
import { monitorTtySize } from './tty-size.js';

export interface ForegroundOptions {
  id: string;
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  autoRemove: boolean;
  /** Forward the CLI's signals to the container (docker's --sig-proxy). */
  sigProxy: boolean;
  terminal: Terminal;
  /** The local detach sequence (default ctrl-p ctrl-q). */
  detachKeys?: Buffer;
  /** The --detach-keys text, passed on to the daemon as docker does. */
  detachKeysText?: string;
  /** How long to wait for the daemon to acknowledge the wait before starting anyway, ms. */
  waitAckTimeoutMs?: number;
}

/** The start request failed; `cause` is the daemon's error. Everything the session opened is closed. */
export class StartFailed extends Error {
  override readonly name = 'StartFailed';
  constructor(override readonly cause: unknown) {
    super(errorText(cause));
  }
}

export type ForegroundResult = { kind: 'exited'; status: number } | { kind: 'detached' } | { kind: 'started' };

export async function runForeground(ctx: CliContext, client: EngineClient, o: ForegroundOptions, start: () => Promise<void>): Promise<ForegroundResult> {
  const attached = o.stdin || o.stdout || o.stderr;
  const cleanups: (() => void)[] = [];
  try {
    if (o.sigProxy) cleanups.push(forwardSignals(o.terminal, (sig) => containerKill(client, o.id, sig)));

    let session: Promise<SessionEnd> | undefined;
    let close: (() => void) | undefined;
    if (attached) {
      const stream = await containerAttach(client, o.id, {
        stream: true,
        stdin: o.stdin,
        stdout: o.stdout,
        stderr: o.stderr,
        ...(o.detachKeysText !== undefined ? { detachKeys: o.detachKeysText } : {}),
      });
      close = () => stream.close();
      session = runAttachSession({
        stream,
        tty: o.tty,
        stdin: o.stdin,
        stdout: o.stdout,
        stderr: o.stderr,
        out: ctx.out,
        err: ctx.err,
        terminal: o.terminal,
        ...(o.detachKeys !== undefined ? { detachKeys: o.detachKeys } : {}),
      });
      session.catch(() => undefined);
    }

    const waiter = containerWait(client, o.id, o.autoRemove ? 'removed' : 'next-exit');
    let waitError: unknown;
    await Promise.race([
      waiter.registered.catch((e: unknown) => {
        waitError = e;
      }),
      new Promise((r) => setTimeout(r, o.waitAckTimeoutMs ?? 2000).unref()),
    ]);

    try {
      await start();
    } catch (e) {
      close?.();
      await session?.catch(() => undefined);
      if (o.autoRemove) await waiter.result.catch(() => undefined);
      throw new StartFailed(e);
    }

    if (attached && o.tty && o.terminal.stdoutIsTTY) {
      cleanups.push(
        await monitorTtySize(o.terminal, (h, w) => containerResize(client, o.id, h, w), {
          warn: (m) => ctx.err.write(`${m}\n`),
        }),
      );
    }

    if (session !== undefined) {
      const end = await session;
      if (end === 'detached') return { kind: 'detached' };
    }
    if (!o.stdout && !o.stderr) return { kind: 'started' };

    if (waitError !== undefined) {
      ctx.err.write(`error waiting for container: ${errorText(waitError)}\n`);
      return { kind: 'exited', status: 125 };
    }
    try {
      const r = await waiter.result;
      if (r.Error?.Message !== undefined && r.Error.Message !== '') {
        ctx.err.write(`Error waiting for container: ${r.Error.Message}\n`);
        return { kind: 'exited', status: 125 };
      }
      return { kind: 'exited', status: r.StatusCode };
    } catch (e) {
      ctx.err.write(`error waiting for container: ${errorText(e)}\n`);
      return { kind: 'exited', status: 125 };
    }
  } finally {
    for (const c of cleanups.reverse()) c();
  }
}

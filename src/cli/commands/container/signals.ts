/**
 * docker's sig-proxy: while a foreground container without a TTY runs, signals the CLI receives are sent to the
 * container (`POST /containers/{id}/kill?signal=INT`, names without the SIG prefix, as docker sends them) instead
 * of ending the CLI. With a TTY, ctrl-c reaches the container as a byte through the raw terminal instead.
 */
import type { Terminal } from './terminal.js';

/** What docker forwards (all catchable signals but SIGCHLD, SIGPIPE, SIGURG and SIGWINCH); the ones Node can catch. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export function forwardSignals(terminal: Terminal, kill: (signal: string) => Promise<void>): () => void {
  return terminal.onSignals(FORWARDED_SIGNALS, (s) => {
    kill(s.replace(/^SIG/, '')).catch(() => undefined);
  });
}

/** CLI-side errors: a message for the user and an exit status, printed without a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** How the docker CLI words an error: daemon replies get "Error response from daemon: ", local errors do not. */
export function errorText(e: unknown): string {
  if (e instanceof CliError) return e.message;
  if (e instanceof Error && 'code' in e && typeof e.code === 'string' && e.code.startsWith('http.')) {
    return `Error response from daemon: ${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * The bridge to conmon's attach socket. conmon serves a container's console on `<bundle>/attach`, a SOCK_SEQPACKET
 * unix socket: every packet it sends starts with one byte naming the stream (2 = stdout, 3 = stderr), and every
 * packet it receives is container stdin. Node's `net` speaks only SOCK_STREAM, so a tiny helper process relays:
 * packets → its stdout/stderr by stream, its stdin → packets, and stdin EOF → shutdown(SHUT_WR) (which closes the
 * container's stdin unless conmon runs with --leave-stdin-open). It is written in Perl because perl-base is
 * Essential on Debian (always installed) and has SOCK_SEQPACKET in its core Socket module. It connects through
 * /proc/self/fd/N/attach, so the socket path length limit (108 bytes) never applies. Fd 3 reports `ok` once
 * connected, or `error: …`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ShoalError } from '../../../api/errors.js';

export const BRIDGE_SCRIPT = String.raw`
use strict; use warnings;
use Socket qw(AF_UNIX SOCK_SEQPACKET pack_sockaddr_un);
use Fcntl qw(O_RDONLY O_DIRECTORY);
my ($dir, $mode) = @ARGV;
my $with_stdin = defined($mode) && $mode eq 'stdin';
open(my $status, '>&=', 3) or exit 3;
sub fail { syswrite($status, "error: $_[0]\n"); exit 2 }
sysopen(my $dh, $dir, O_RDONLY | O_DIRECTORY) or fail("open $dir: $!");
socket(my $s, AF_UNIX, SOCK_SEQPACKET, 0) or fail("socket: $!");
connect($s, pack_sockaddr_un('/proc/self/fd/' . fileno($dh) . '/attach')) or fail("connect $dir/attach: $!");
syswrite($status, "ok\n");
close($status);
$SIG{PIPE} = 'IGNORE';
sub put { my ($fh, $buf) = @_; my $off = 0;
  while ($off < length $buf) { my $n = syswrite($fh, $buf, length($buf) - $off, $off); return 0 unless defined $n; $off += $n } 1 }
my $rin = '';
vec($rin, fileno($s), 1) = 1;
vec($rin, fileno(STDIN), 1) = 1 if $with_stdin;
while (1) {
  my $rout = $rin;
  my $n = select($rout, undef, undef, undef);
  if ($n < 0) { next if $!{EINTR}; last }
  if (vec($rout, fileno($s), 1)) {
    my $buf = '';
    my $r = sysread($s, $buf, 65536);
    last if !defined($r) || $r == 0;
    my $t = ord(substr($buf, 0, 1));
    if ($t == 2) { put(\*STDOUT, substr($buf, 1)) } elsif ($t == 3) { put(\*STDERR, substr($buf, 1)) }
  }
  if ($with_stdin && vec($rout, fileno(STDIN), 1)) {
    my $buf = '';
    my $r = sysread(STDIN, $buf, 8192);
    if (!defined($r) || $r == 0) { shutdown($s, 1); vec($rin, fileno(STDIN), 1) = 0 }
    else { defined(send($s, $buf, 0)) or last }
  }
}
exit 0;
`;

export interface Bridge {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<void>;
  close(): void;
}

/** Connects to `<dir>/attach`; resolves once connected. `stdin` relays input; without it stdin is never read. */
export function openBridge(perlPath: string, dir: string, opts: { stdin: boolean }): Promise<Bridge> {
  const child: ChildProcess = spawn(perlPath, ['-e', BRIDGE_SCRIPT, dir, opts.stdin ? 'stdin' : 'none'], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const status = child.stdio[3] as Readable;
  const stdin = child.stdin as Writable;
  stdin.on('error', () => undefined);
  const close = (): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  };
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString('utf8');
      if (!text.includes('\n')) return;
      status.off('data', onData);
      status.destroy();
      const line = text.split('\n')[0] ?? '';
      if (line === 'ok') {
        resolve({ stdin, stdout: child.stdout as Readable, stderr: child.stderr as Readable, exited, close });
      } else {
        close();
        reject(new ShoalError('Unavailable', 'runtime.attach_failed', `cannot attach: ${line.replace(/^error: /, '')}`));
      }
    };
    status.on('data', onData);
    child.on('error', (e) => reject(new ShoalError('Internal', 'runtime.attach_failed', `cannot start the attach helper (${perlPath}): ${e.message}`, { cause: e })));
    child.on('close', (code) => {
      if (!text.includes('\n')) reject(new ShoalError('Unavailable', 'runtime.attach_failed', `attach helper exited (${String(code)}) before connecting`));
    });
  });
}

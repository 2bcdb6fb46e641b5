/** The `Status` column docker computes for `GET /containers/json` ("Up 2 minutes (healthy)", "Exited (0) 3 seconds ago"). */
import type { ContainerInspect } from '../../api/container.js';
import { humanDuration } from '../../lib/duration.js';

export function statusText(c: ContainerInspect, now: number): string {
  const s = c.State;
  if (s.Status === 'running' || s.Status === 'paused') {
    let text = `Up ${humanDuration(now - Date.parse(s.StartedAt))}`;
    if (s.Status === 'paused') text += ' (Paused)';
    const h = s.Health?.Status;
    if (h === 'starting') text += ' (health: starting)';
    else if (h === 'healthy' || h === 'unhealthy') text += ` (${h})`;
    return text;
  }
  if (s.Status === 'restarting') return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  if (s.Status === 'removing') return 'Removal In Progress';
  if (s.Status === 'dead') return 'Dead';
  if (s.Status === 'created') return 'Created';
  return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
}

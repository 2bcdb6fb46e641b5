/**
 * `/_ping` (HEAD and GET, versioned or not), as moby's `pingHandler`: every docker CLI invocation starts with
 * `HEAD /_ping` and negotiates its API version from the `Api-Version` header (docs/docker-engine-api.md §1).
 */
import type { ApiRequest } from './request.js';
import type { ApiResponse } from './response.js';

/** The values the `Swarm` header may take. */
export type SwarmHeader = 'inactive' | 'pending' | 'error' | 'locked' | 'active/worker' | 'active/manager';

export function handlePing(req: ApiRequest, res: ApiResponse, swarmHeader: () => string): void {
  res.header('Cache-Control', 'no-cache, no-store, must-revalidate');
  res.header('Pragma', 'no-cache');
  res.header('Builder-Version', '1');
  res.header('Swarm', swarmHeader());
  if (req.method === 'HEAD') {
    res.raw.statusCode = 200;
    res.raw.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.raw.setHeader('Content-Length', '0');
    res.raw.end();
    return;
  }
  res.text(200, 'OK');
}

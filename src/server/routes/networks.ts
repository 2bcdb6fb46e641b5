import { isShoalError, messages, unavailable } from '../../api/errors.js';
import { parseNetworkConnect, parseNetworkDisconnect } from '../../api/local-network.js';
import type { Network } from '../../api/types.js';
import type { Router } from '../router.js';
import type { ContainerBackend, EngineBackend, NetworkBackend } from './backend.js';

/**
 * `/networks/*` (docs/docker-engine-api.md §3.4, moby `api/server/router/network`): list (`filters`: name, id,
 * label, driver, scope, type, dangling), inspect by ID, name or ID prefix (`verbose`, `scope`), create (201
 * `{Id, Warning}`), remove (204), prune (`{NetworksDeleted}`, null when nothing went), and connect / disconnect
 * (200, empty body). Connect and disconnect check in dockerd's order: the body (400), the container (404
 * `No such container: x`), the network (404 `network x not found`), then the backend's rules.
 */
export function networkRoutes(router: Router, b: Pick<EngineBackend, 'networks' | 'containers'>): void {
  const nets = (): NetworkBackend => {
    if (b.networks === undefined) throw unavailable('swarm.not_manager', messages.notManager);
    return b.networks;
  };
  const lookup = (ref: string): Promise<Network> => nets().inspect(ref, { verbose: false, scope: '' });
  const connecting = (): Required<Pick<ContainerBackend, 'networkConnect' | 'networkDisconnect'>> => {
    const c = b.containers;
    if (c.networkConnect === undefined || c.networkDisconnect === undefined) throw unavailable('network.connect_unavailable', 'this daemon cannot connect containers to networks');
    return c as Required<Pick<ContainerBackend, 'networkConnect' | 'networkDisconnect'>>;
  };
  router.post('/networks/{id}/connect', async (req, res) => {
    const body = parseNetworkConnect(await req.json());
    const c = connecting();
    b.containers.inspect(body.Container);
    await c.networkConnect(await lookup(req.param('id')), body);
    res.empty(200);
  });
  router.post('/networks/{id}/disconnect', async (req, res) => {
    const body = parseNetworkDisconnect(await req.json());
    const c = connecting();
    b.containers.inspect(body.Container);
    const ref = req.param('id');
    let network: Network | undefined;
    try {
      network = await lookup(ref);
    } catch (e) {
      // docker: with Force, a network that is gone still lets go of the container's endpoint of that name.
      if (!(body.Force && isShoalError(e, 'NotFound'))) throw e;
    }
    await c.networkDisconnect(network, ref, body);
    res.empty(200);
  });
  router.get('/networks', async (req, res) => res.json(200, await nets().list(req.filters())));
  router.get('/networks/{id}', async (req, res) => {
    const opts = { verbose: req.queryBool('verbose'), scope: req.queryString('scope') ?? '' };
    res.json(200, await nets().inspect(req.param('id'), opts));
  });
  router.post('/networks/create', async (req, res) => {
    const r = await nets().create(await req.json());
    res.json(201, { Id: r.Id, Warning: r.Warning });
  });
  router.delete('/networks/{id}', async (req, res) => {
    await nets().remove(req.param('id'));
    res.noContent();
  });
  router.post('/networks/prune', async (req, res) => {
    const removed = await nets().prune(req.filters());
    res.json(200, { NetworksDeleted: removed.length === 0 ? null : removed });
  });
}

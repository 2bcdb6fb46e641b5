/**
 * The dashboard: a live, read-only web view of the nodes, services and tasks, served by every manager on
 * `--dashboard-addr` (default 127.0.0.1:2378; `off` disables it).
 *
 * Owns: `buildSnapshot` (pure: store objects → the JSON the page renders, with `docker service ls`/`service ps`
 * semantics), the self-contained page, and the HTTP server (`/`, `/api/state`, `/api/events` as Server-Sent Events).
 * Consumes: the manager's store (`view()` lists and `watch()`); it never writes.
 * Produces: nothing in the cluster; HTTP responses only.
 * Invariants: read-only (GET/HEAD only); no secrets (join tokens, keys) in any snapshot; one store watch per open
 * event stream, stopped when the client goes away or the server closes; at most 4 snapshots per second per stream.
 */
export { buildSnapshot, replicaCounts, HISTORY_PER_SLOT } from './snapshot.js';
export type { ClusterView, DashboardSnapshot, NodeView, ServiceView, SnapshotInput, TaskView } from './snapshot.js';
export { DEFAULT_DASHBOARD_ADDR, DashboardServer, parseDashboardAddr, readSnapshot, startDashboard } from './server.js';
export type { DashboardAddress, DashboardOptions } from './server.js';

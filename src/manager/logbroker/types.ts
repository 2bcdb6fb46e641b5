/** What a log subscription selects, its options, and the lines it yields (shaped like the Engine API's TaskLogLine). */

/** The tasks to read: every task of a service, or one task (IDs already resolved). */
export type LogSelector = { serviceId: string } | { taskId: string };

export interface BrokerLogOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  /** Unix seconds (fractions allowed); 0 = from the beginning. */
  since: number;
  /** The last N lines of each task; undefined = all. */
  tail: number | undefined;
  timestamps: boolean;
  details: boolean;
}

export interface BrokerLogLine {
  nodeId: string;
  serviceId: string;
  taskId: string;
  stream: 'stdout' | 'stderr';
  /** RFC 3339 in UTC, as the agent read it. */
  time: string;
  text: string;
}

/** Docker's size constants and the minimum memory limit it accepts. */
export const MIN_MEMORY = 6 * 1024 * 1024;
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
export const DEFAULT_STOP_TIMEOUT_S = 10;

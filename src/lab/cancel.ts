/** The error a lab command stops with when it is interrupted (Ctrl-C), before it removes what it made. */
import { ShoalError } from '../api/errors.js';

export const canceled = (): ShoalError => new ShoalError('Canceled', 'lab.canceled', 'interrupted');

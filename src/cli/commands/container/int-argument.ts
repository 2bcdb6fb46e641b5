import { InvalidArgumentError } from 'commander';

/** An int flag value the way pflag reads one (a sign allowed), with its error text. */
export function intArgument(value: string): number {
  if (!/^[+-]?\d+$/.test(value)) throw new InvalidArgumentError(`strconv.ParseInt: parsing "${value}": invalid syntax`);
  return Number(value);
}

/**
 * What the broker's text configuration files (the users file, the ACL file) share: reading one, and an
 * error that names the file and the line at fault.
 */
import { readFileSync } from 'node:fs';
import { ProtonError } from '../index.js';

/**
 * A configuration file that cannot be read or parsed: the message names the file and the line. Each
 * format has its own subclass (`UsersFileError`, `AclFileError`). proton-ts only: Proton has no broker.
 */
export class ConfigFileError extends ProtonError {
  constructor(
    message: string,
    /** The file, as it was named. */
    readonly file: string,
    /** The line at fault, from 1; undefined when the file could not be read. */
    readonly line?: number,
    options: { cause?: unknown } = {},
  ) {
    super(`${file}${line === undefined ? '' : `, line ${line}`}: ${message}`, options);
    this.name = new.target.name;
  }
}

/** The text of `file`, or `Failure` (its format's error) saying why it cannot be read. */
export function readConfigFile(file: string, Failure: typeof ConfigFileError): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Failure(`cannot read: ${(e as Error).message}`, file, undefined, { cause: e });
  }
}

#!/usr/bin/env node
/**
 * The `proton-ts` command: `broker` runs the embedded broker, `passwd` makes its users file records,
 * `send`, `receive` and `request` move messages, `demo` (what `npm start` runs) shows the broker and a
 * sender and receiver at work in one process. Built on the public API only.
 *
 * Exit codes: 0 done, 1 the command failed (no peer, no reply, a refusal), 2 bad input (the message
 * names the option, the argument or the URL).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../index.js';
import { CommandFailed, type CommandIo, USAGE, UsageError } from './args.js';
import { brokerCommand } from './broker-command.js';
import { demoCommand } from './demo-command.js';
import { passwdCommand } from './passwd-command.js';
import { receiveCommand } from './receive-command.js';
import { requestCommand } from './request-command.js';
import { sendCommand } from './send-command.js';

const COMMANDS: Record<string, (args: string[], io: CommandIo) => Promise<void>> = {
  broker: brokerCommand,
  passwd: passwdCommand,
  send: sendCommand,
  receive: receiveCommand,
  request: requestCommand,
  demo: (_args, io) => demoCommand(io),
};

/** Runs the command of `argv` (without node and the script); resolves with its exit code. */
export async function main(argv: string[], io: CommandIo = process): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    (command === undefined ? io.stderr : io.stdout).write(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (run === undefined) throw new UsageError(`unknown command '${command}'`);
    await run(args, io);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof InvalidOptionError) {
      // The whole usage when the command itself is wrong; a pointer to it otherwise.
      const known = Object.hasOwn(COMMANDS, command);
      io.stderr.write(`proton-ts: ${e.message}\n${known ? "(see 'proton-ts --help')\n" : USAGE}`);
      return 2;
    }
    if (e instanceof CommandFailed) {
      io.stderr.write(`proton-ts: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

// Run when executed (directly or through the bin link), not when imported.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`proton-ts: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

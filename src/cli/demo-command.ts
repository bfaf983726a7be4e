/** `proton-ts demo` (what `npm start` runs): the broker on a free port, then a sender and a receiver. */
import { Broker } from '../broker/index.js';
import { Container, Message } from '../index.js';
import type { CommandIo } from './args.js';
import { Receive } from './receive-command.js';
import { Send } from './send-command.js';

export async function demoCommand(io: CommandIo): Promise<void> {
  const print = (line: string) => io.stdout.write(`${line}\n`);
  const brokerContainer = new Container(new Broker(), { containerId: 'demo-broker' });
  const acceptor = await brokerContainer.listen('127.0.0.1:0');
  const running = brokerContainer.run();
  const host = `127.0.0.1:${acceptor.port}`;
  const url = `${host}/examples`;
  print(`embedded broker listening on ${host}`);
  print(`sending 5 messages to ${url}`);
  const make = (i: number) => new Message({ id: i, body: new Map([['sequence', i]]) });
  await new Container(new Send(url, 'examples', 5, make, (l) => print(`  ${l}`))).run();
  print(`receiving them from ${url}`);
  await new Container(new Receive(url, 'examples', 5, (l) => print(`  ${l}`))).run();
  acceptor.close();
  brokerContainer.stop();
  await running;
  print('done: the broker, a sender and a receiver, all proton-ts');
}

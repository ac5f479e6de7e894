import { appendFileSync } from 'node:fs';
import { startSlackSimulator, type ReceivedMessage, type SlackSimulator } from '../sim/slack-server';
import { renderTerminalMessage } from '../preview/terminal';

/**
 * The demo's Slack: the local webhook double (src/sim/slack-server.ts, the same one the tests use) on
 * 127.0.0.1, with every accepted message drawn in the terminal and its raw payload appended to a JSONL file.
 */

export interface DemoSinkOptions {
  write(text: string): void;
  color: boolean;
  width: number;
  /** Payloads are appended here, one JSON object per line. */
  payloadFile: string;
  /** A note to print under a message (given its raw body), e.g. that its event arrived late. */
  noteFor?(raw: string): string | undefined;
  /** Told of each accepted payload, before it is shown. */
  onAccepted?(payload: unknown): void;
}

export interface DemoSink {
  readonly url: string;
  readonly slack: SlackSimulator;
  /** The accepted payloads, in arrival order. */
  readonly payloads: unknown[];
  close(): Promise<void>;
}

export async function startDemoSink(options: DemoSinkOptions): Promise<DemoSink> {
  const slack = await startSlackSimulator({ host: '127.0.0.1' });
  const payloads: unknown[] = [];
  slack.onMessage((message: ReceivedMessage) => {
    payloads.push(message.body);
    // A listener error would surface in the simulator's request handler: report it and keep the demo going.
    try {
      options.onAccepted?.(message.body);
      appendFileSync(options.payloadFile, `${JSON.stringify(message.body)}\n`);
      const note = options.noteFor?.(message.raw);
      options.write(`${renderTerminalMessage(message.body, { color: options.color, width: options.width, note })}\n`);
    } catch (error) {
      options.write(`(demo: could not show or save a message: ${(error as Error).message})\n`);
    }
  });
  return { url: slack.url, slack, payloads, close: () => slack.close() };
}

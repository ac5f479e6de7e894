import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local Slack incoming-webhook double: the test suite's Slack and the `demo` command's sink.
 * Answers like Slack (API-FACTS C.1/C.2): 200 `ok` as text/html, errors as a status plus a plain-text code.
 */

/** A canned answer. `delayMs` (real time) or `until` (a promise) hold the response back: a slow Slack. */
export interface SimulatedResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  until?: Promise<unknown>;
}

/** `'hang'` accepts the request and never answers (until `close()`). */
export type ScriptedResponse = SimulatedResponse | 'hang';

export interface ReceivedMessage {
  /** The parsed payload; `text` already cut to 40,000 characters when `truncated`. */
  body: unknown;
  raw: string;
  headers: IncomingHttpHeaders;
  at: number;
  /** Top-level text was over 40,000 characters and was cut, as Slack does. */
  truncated: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  raw: string;
  headers: IncomingHttpHeaders;
  at: number;
  /** What was answered; `'hang'` when nothing was. Set before the response is written. */
  response: { status: number; body: string } | 'hang';
}

export interface SlackSimulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The webhook path; other paths get 404 `no_service`. Default /services/T000/B000/XXXX. */
  path?: string;
  /** Source of `at` timestamps; default Date.now. */
  now?: () => number;
}

/** Events: `'request'` (RecordedRequest, every request) and `'message'` (ReceivedMessage, accepted ones). */
export interface SlackSimulator extends EventEmitter {
  readonly url: string;
  readonly received: ReceivedMessage[];
  readonly requests: RecordedRequest[];
  /** Queue answers for the next requests, in order, overriding validation and the default. */
  respondNext(...responses: ScriptedResponse[]): void;
  /** Answer every request this way (once the script is empty) until `reset()`; `undefined` clears it. */
  setDefault(response: ScriptedResponse | undefined): void;
  /** Clears the script and the default: back to validating and answering `ok`. Records are kept. */
  reset(): void;
  /** Calls `listener` for each accepted message; returns the unsubscribe function. */
  onMessage(listener: (message: ReceivedMessage) => void): () => void;
  /** Resolves once `received.length >= count`. */
  waitForMessages(count: number): Promise<ReceivedMessage[]>;
  /** Resolves once `requests.length >= count`. */
  waitForRequests(count: number): Promise<RecordedRequest[]>;
  /** Stops listening and destroys every socket, hung ones included. */
  close(): Promise<void>;
}

/** Slack's documented limits (API-FACTS C.2). */
export const SLACK_LIMITS = {
  textTruncateAt: 40_000,
  attachments: 100,
  /** Our choice: a legacy attachment field's value is held to the Block Kit field limit, else `invalid_payload`. */
  attachmentFieldValue: 2000,
  blocks: 50,
  sectionText: 3000,
  sectionFields: 10,
  sectionField: 2000,
  headerText: 150,
  contextElements: 10,
  markdownText: 12_000,
  blockId: 255,
} as const;

const DEFAULT_PATH = '/services/T000/B000/XXXX';

export async function startSlackSimulator(options: SlackSimulatorOptions = {}): Promise<SlackSimulator> {
  const host = options.host ?? '127.0.0.1';
  const webhookPath = options.path ?? DEFAULT_PATH;
  const now = options.now ?? Date.now;
  const emitter = new EventEmitter();
  const received: ReceivedMessage[] = [];
  const requests: RecordedRequest[] = [];
  const script: ScriptedResponse[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let fallback: ScriptedResponse | undefined;
  let closed = false;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const at = now();
    let answer: ScriptedResponse;
    let accepted: ReceivedMessage | undefined;
    const scripted = script.shift() ?? fallback;
    if (scripted !== undefined) {
      answer = scripted;
    } else if (req.method !== 'POST') {
      answer = { status: 405, body: 'invalid_method' };
    } else if (path !== webhookPath) {
      answer = { status: 404, body: 'no_service' };
    } else {
      const verdict = validatePayload(raw, req.headers['content-type']);
      answer = verdict.ok ? { status: 200, body: 'ok' } : { status: 400, body: verdict.error };
      if (verdict.ok) accepted = { body: verdict.body, raw, headers: req.headers, at, truncated: verdict.truncated };
    }
    if (answer !== 'hang' && !accepted && isOk(answer)) {
      // A scripted success still counts as delivered; record what we could parse.
      const verdict = validatePayload(raw, req.headers['content-type']);
      const body = verdict.ok ? verdict.body : safeParse(raw);
      accepted = { body, raw, headers: req.headers, at, truncated: verdict.ok && verdict.truncated };
    }
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      raw,
      headers: req.headers,
      at,
      response: answer === 'hang' ? 'hang' : { status: answer.status, body: answer.body ?? '' },
    };
    requests.push(record);
    emitter.emit('request', record);
    if (answer === 'hang') return;
    const reply = answer;
    const write = () => {
      if (closed) return;
      // Slack posts a message even when the client has given up waiting: record it, as the duplicate is real.
      if (accepted) {
        received.push(accepted);
        emitter.emit('message', accepted);
      }
      if (res.destroyed) return;
      res.writeHead(reply.status, { 'content-type': 'text/html', ...reply.headers });
      res.end(reply.body ?? '');
    };
    const afterDelay = () => {
      if (!reply.delayMs) return write();
      const timer = setTimeout(() => {
        timers.delete(timer);
        write();
      }, reply.delayMs);
      timers.add(timer);
    };
    if (reply.until) reply.until.then(afterDelay, afterDelay);
    else afterDelay();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  const waitFor = <T>(list: T[], event: string, count: number) =>
    new Promise<T[]>((resolve) => {
      if (list.length >= count) return resolve(list);
      const check = () => {
        if (list.length < count) return;
        emitter.off(event, check);
        resolve(list);
      };
      emitter.on(event, check);
    });

  return Object.assign(emitter, {
    url: `http://${urlHost}:${port}${webhookPath}`,
    received,
    requests,
    respondNext: (...responses: ScriptedResponse[]) => void script.push(...responses),
    setDefault: (response: ScriptedResponse | undefined) => void (fallback = response),
    reset: () => {
      script.length = 0;
      fallback = undefined;
    },
    onMessage: (listener: (message: ReceivedMessage) => void) => {
      emitter.on('message', listener);
      return () => void emitter.off('message', listener);
    },
    waitForMessages: (count: number) => waitFor(received, 'message', count),
    waitForRequests: (count: number) => waitFor(requests, 'request', count),
    close: async () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await stopped;
    },
  });
}

function isOk(response: SimulatedResponse): boolean {
  return response.status >= 200 && response.status < 300 && (response.body ?? '') === 'ok';
}

function safeParse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export type PayloadVerdict =
  | { ok: true; body: Record<string, unknown>; truncated: boolean }
  | { ok: false; error: string };

/**
 * Checks a webhook payload against Slack's documented limits. JSON bodies, or a form body's `payload` field
 * (Slack accepts both). Returns the payload as Slack would keep it (text cut to 40,000 characters).
 */
export function validatePayload(raw: string, contentType?: string): PayloadVerdict {
  let json = raw;
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    json = new URLSearchParams(raw).get('payload') ?? '';
  }
  let payload: unknown;
  try {
    payload = JSON.parse(json);
  } catch {
    return { ok: false, error: 'invalid_payload' };
  }
  if (!isObject(payload)) return { ok: false, error: 'invalid_payload' };
  const { text, blocks, attachments } = payload;
  if (text !== undefined && typeof text !== 'string') return { ok: false, error: 'invalid_payload' };
  if (attachments !== undefined && !Array.isArray(attachments)) return { ok: false, error: 'invalid_payload' };
  if (blocks !== undefined && !Array.isArray(blocks)) return { ok: false, error: 'invalid_blocks_format' };
  const hasText = typeof text === 'string' && text.trim() !== '';
  if (!hasText && !blocks?.length && !attachments?.length) return { ok: false, error: 'no_text' };
  if (attachments && attachments.length > SLACK_LIMITS.attachments) return { ok: false, error: 'too_many_attachments' };
  const blockError = blocks ? checkBlocks(blocks) : undefined;
  if (blockError) return { ok: false, error: blockError };
  for (const attachment of attachments ?? []) {
    const error = checkAttachment(attachment);
    if (error) return { ok: false, error };
  }
  if (typeof text === 'string' && charCount(text) > SLACK_LIMITS.textTruncateAt) {
    const cut = Array.from(text).slice(0, SLACK_LIMITS.textTruncateAt).join('');
    return { ok: true, body: { ...payload, text: cut }, truncated: true };
  }
  return { ok: true, body: payload, truncated: false };
}

function checkAttachment(attachment: unknown): string | undefined {
  if (!isObject(attachment)) return 'invalid_payload';
  const { fields, blocks } = attachment;
  if (fields !== undefined) {
    if (!Array.isArray(fields)) return 'invalid_payload';
    for (const field of fields) {
      if (!isObject(field)) return 'invalid_payload';
      if (typeof field.value === 'string' && charCount(field.value) > SLACK_LIMITS.attachmentFieldValue) {
        return 'invalid_payload';
      }
    }
  }
  if (blocks !== undefined) return Array.isArray(blocks) ? checkBlocks(blocks) : 'invalid_blocks_format';
  return undefined;
}

/** Block Kit limits from @slack/types' JSDoc (API-FACTS C.2). Structural breakage → invalid_blocks_format. */
function checkBlocks(blocks: unknown[]): string | undefined {
  if (blocks.length > SLACK_LIMITS.blocks) return 'invalid_blocks';
  for (const block of blocks) {
    if (!isObject(block) || typeof block.type !== 'string') return 'invalid_blocks_format';
    if (typeof block.block_id === 'string' && charCount(block.block_id) > SLACK_LIMITS.blockId) return 'invalid_blocks';
    const error = checkBlock(block);
    if (error) return error;
  }
  return undefined;
}

function checkBlock(block: Record<string, unknown>): string | undefined {
  switch (block.type) {
    case 'section': {
      if (block.text === undefined && block.fields === undefined) return 'invalid_blocks';
      if (block.text !== undefined) {
        const error = checkText(block.text, SLACK_LIMITS.sectionText);
        if (error) return error;
      }
      if (block.fields === undefined) return undefined;
      if (!Array.isArray(block.fields)) return 'invalid_blocks_format';
      if (block.fields.length > SLACK_LIMITS.sectionFields) return 'invalid_blocks';
      for (const field of block.fields) {
        const error = checkText(field, SLACK_LIMITS.sectionField);
        if (error) return error;
      }
      return undefined;
    }
    case 'header':
      return checkText(block.text, SLACK_LIMITS.headerText);
    case 'context':
      if (!Array.isArray(block.elements)) return 'invalid_blocks_format';
      return block.elements.length > SLACK_LIMITS.contextElements ? 'invalid_blocks' : undefined;
    case 'markdown':
      if (typeof block.text !== 'string') return 'invalid_blocks_format';
      return charCount(block.text) > SLACK_LIMITS.markdownText ? 'invalid_blocks' : undefined;
    default:
      return undefined;
  }
}

/** A text object `{ type, text }` no longer than `limit` characters. */
function checkText(value: unknown, limit: number): string | undefined {
  if (!isObject(value) || typeof value.text !== 'string') return 'invalid_blocks_format';
  return charCount(value.text) > limit ? 'invalid_blocks' : undefined;
}

/** Characters as code points, so an emoji counts once. */
function charCount(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

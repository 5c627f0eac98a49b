// An SDK request handler for the benchmark: forwards to DynamoDB Local and records each response, or replays them with no network.
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandlerOptions } from '@smithy/types';

interface RequestLike {
  headers: Record<string, string>;
}

interface ResponseLike {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

async function collect(body: unknown): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * In `network` mode, sends through the SDK's own Node handler and keeps the last response body per
 * operation; in `replay` mode, answers each operation with that body at once, so a benchmark
 * measures only the client-side work (building, serialising, signing, parsing, unmarshalling).
 */
export class ReplayHandler {
  mode: 'network' | 'replay' = 'network';
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly recorded = new Map<string, { headers: Record<string, string>; body: Uint8Array }>();
  private readonly inner = new NodeHttpHandler({ httpAgent: { keepAlive: true, maxSockets: 50 } });

  async handle(request: RequestLike, options?: HttpHandlerOptions): Promise<{ response: ResponseLike }> {
    const operation = (request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    if (this.mode === 'replay') {
      const canned = this.recorded.get(operation);
      if (canned === undefined) throw new Error(`nothing recorded for ${operation}`);
      return { response: { statusCode: 200, headers: canned.headers, body: canned.body } };
    }
    const { response } = await this.inner.handle(request as never, options);
    const body = await collect(response.body);
    const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0' };
    if (response.statusCode === 200) this.recorded.set(operation, { headers, body });
    return { response: { statusCode: response.statusCode, headers: response.headers, body } };
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {};
  }

  destroy(): void {
    this.inner.destroy();
  }
}

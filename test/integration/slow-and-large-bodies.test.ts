import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { CENSUS_PYTHON } from '../helpers/paths.js';
import { rawRequest } from '../helpers/raw-http.js';

// The default limit: over loopback a refused body much smaller than this fits in the socket buffers, and no reset happens.
const BODY_LIMIT = 4 * 1024 * 1024;
const BODY_TIMEOUT_MS = 1500;

/** Writes `head` and `body` and nothing more (the rest of a declared body never comes); every byte the server sent once it closes. */
function sendAndWaitForClose(port: number, head: string, body: Buffer | string = ''): Promise<string> {
  return rawRequest(port, Buffer.concat([Buffer.from(head), Buffer.from(body)]), { end: false });
}

function statusLines(text: string): string[] {
  return text.split('\r\n').filter((line) => line.startsWith('HTTP/1.1 '));
}

function jsonBodyOf(text: string): { error: { code: string; message: string } } {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; message: string } };
}

describe('request bodies that are slow or over the limit (real server, real clients)', () => {
  let gw: TestGateway;
  let port: number;

  beforeAll(async () => {
    gw = await startTestGateway({ workers: 1, bodyLimitBytes: BODY_LIMIT, bodyTimeoutMs: BODY_TIMEOUT_MS });
    port = Number(new URL(gw.url).port);
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('a body that never finishes (declared length) is answered 408 in the JSON error shape once --body-timeout-ms passes', async () => {
    const text = await sendAndWaitForClose(port, 'POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n', '{"age":');
    expect(statusLines(text)).toEqual(['HTTP/1.1 408 Request Timeout']);
    expect(text).toMatch(/\r\ncontent-type: application\/json/);
    expect(jsonBodyOf(text).error.code).toBe('GW_ERR_BAD_REQUEST');
  });

  it('a chunked body that trickles and never ends is answered 408 too', async () => {
    const text = await sendAndWaitForClose(port, 'POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n', '1\r\n{\r\n');
    expect(statusLines(text)).toEqual(['HTTP/1.1 408 Request Timeout']);
    expect(jsonBodyOf(text).error.code).toBe('GW_ERR_BAD_REQUEST');
  });

  it("Python's http.client posting limit + 1 bytes reads the 413, five times out of five", async () => {
    const script = `
import http.client, json, sys
port, size = int(sys.argv[1]), int(sys.argv[2])
for _ in range(5):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    try:
        conn.request("POST", "/predict", body=b"x" * size, headers={"content-type": "application/json"})
        response = conn.getresponse()
        print(response.status, json.loads(response.read())["error"]["code"])
    except OSError as error:
        print(type(error).__name__)
    finally:
        conn.close()
`;
    const { stdout } = await promisify(execFile)(CENSUS_PYTHON, ['-c', script, String(port), String(BODY_LIMIT + 1)]);
    expect(stdout.trim().split('\n')).toEqual(Array(5).fill('413 GW_ERR_PAYLOAD_TOO_LARGE'));
  });

  it("Node's fetch posting limit + 1 bytes reads the 413, six times out of six", async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      try {
        const response = await fetch(`${gw.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(BODY_LIMIT + 1, 'x') });
        outcomes.push(`${response.status} ${((await response.json()) as { error: { code: string } }).error.code}`);
      } catch (error) {
        outcomes.push(String((error as Error & { cause?: { code?: string } }).cause?.code ?? error));
      }
    }
    expect(outcomes).toEqual(Array(6).fill('413 GW_ERR_PAYLOAD_TOO_LARGE'));
  });

  it('a refused body that never ends is discarded only until the body deadline: one 413, then the connection closes', async () => {
    const text = await sendAndWaitForClose(
      port,
      `POST /predict HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${BODY_LIMIT * 4}\r\n\r\n`,
      Buffer.alloc(BODY_LIMIT + 1, 'x'),
    );
    expect(statusLines(text)).toEqual(['HTTP/1.1 413 Payload Too Large']);
    expect(jsonBodyOf(text).error.code).toBe('GW_ERR_PAYLOAD_TOO_LARGE');
  });
});

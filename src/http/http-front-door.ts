import type { FastifyInstance } from 'fastify';
import type { FrontDoor, FrontDoorHealth } from '../lifecycle/front-door.js';
import { portError } from './port-in-use.js';

export interface HttpListen {
  readonly host: string;
  readonly port: number;
}

/** The HTTP server as a front door: listens on start, and closes its listener once the models have drained. */
export class HttpFrontDoor implements FrontDoor {
  readonly name = 'http';
  readonly app: FastifyInstance;
  readonly #listen: HttpListen;
  #url: string | undefined;

  constructor(app: FastifyInstance, listen: HttpListen) {
    this.app = app;
    this.#listen = listen;
  }

  /** Where it listens, once started. */
  get url(): string | undefined {
    return this.#url;
  }

  async start(): Promise<void> {
    try {
      this.#url = await this.app.listen({ host: this.#listen.host, port: this.#listen.port });
    } catch (error) {
      throw portError(this.#listen.host, this.#listen.port, (error as NodeJS.ErrnoException).code) ?? error;
    }
  }

  /**
   * Nothing to stop here: while the models drain, new requests are refused by
   * their engines (503, `Connection: close`) and accepted ones are answered,
   * so no client is cut off mid-request by an idle keep-alive connection being torn down.
   */
  async drain(): Promise<void> {}

  async close(): Promise<void> {
    await this.app.close();
  }

  health(): FrontDoorHealth {
    return { ready: true };
  }
}

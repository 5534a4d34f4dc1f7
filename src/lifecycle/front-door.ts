/** How a front door is doing, for `/health/ready`. */
export interface FrontDoorHealth {
  readonly ready: boolean;
  readonly reason?: string;
}

/**
 * A way requests reach the models (HTTP, Kafka). The composition root starts
 * them in order and the shutdown policy stops them in two steps: `drain`
 * (take no new work, answer what was taken; the models still serve) and
 * `close` (release the listener or client, once the models have drained).
 */
export interface FrontDoor {
  readonly name: string;
  start(): Promise<void>;
  drain(): Promise<void>;
  close(): Promise<void>;
  health(): FrontDoorHealth;
}

/**
 * Prometheus metrics. Each Metrics owns its Registry (never prom-client's global
 * one), so several apps in one test process do not collide on metric names.
 * Feature code registers its own counters through `registry`.
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import { RequestMetrics } from "./request-metrics.ts";

export class Metrics {
  readonly registry = new Registry();
  /** The per-request series, outside prom-client (request-metrics.ts). */
  private readonly requests = new RequestMetrics();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "vigil_" });
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.observe(method, route, status, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  async render(): Promise<string> {
    const rest = await this.registry.metrics();
    return `${this.requests.render()}${rest && !rest.endsWith("\n") ? `${rest}\n` : rest}`;
  }
}

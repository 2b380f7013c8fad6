/**
 * Prometheus metrics. Each Metrics owns its Registry (never prom-client's global
 * one), so several apps in one test process do not collide on metric names.
 * Feature code registers its own counters through `registry`.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<"method" | "route" | "status">;
  readonly httpDuration: Histogram<"method" | "route" | "status">;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "vigil_" });
    this.httpRequests = new Counter({
      name: "vigil_http_requests_total",
      help: "HTTP requests by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: "vigil_http_request_duration_seconds",
      help: "HTTP request duration by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }

  /** The labelled series of each method, route and status: prom-client hashes a label object on every call otherwise. */
  private readonly series = new Map<string, { count: { inc(): void }; duration: { observe(v: number): void } }>();

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.series.get(key);
    if (!s) {
      const labels = { method, route, status: String(status) };
      s = { count: this.httpRequests.labels(labels), duration: this.httpDuration.labels(labels) };
      // Bounded by the routes (patterns, never raw paths), methods and statuses; a guard all the same.
      if (this.series.size >= 10_000) this.series.clear();
      this.series.set(key, s);
    }
    s.count.inc();
    s.duration.observe(seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

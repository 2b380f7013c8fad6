/**
 * The two per-request series (`vigil_http_requests_total` and
 * `vigil_http_request_duration_seconds`), kept in plain numbers and written in
 * the Prometheus text format when scraped. prom-client validates and hashes
 * the label set on every observation, even through a labelled child, which
 * cost more per request than the rest of the access log; these series are
 * updated on every request and read once per scrape.
 */

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Bounded by route patterns (never raw paths), methods and statuses; a guard all the same. */
const MAX_SERIES = 10_000;

interface Series {
  /** `method="GET",route="/v1/x",status="200"`, escaped once. */
  readonly labels: string;
  count: number;
  sum: number;
  /** Per bucket, not cumulative (made cumulative when written). */
  readonly buckets: number[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export class RequestMetrics {
  private readonly series = new Map<string, Series>();
  // Route, then method, then status: looked up without building a key string per request.
  private readonly byRoute = new Map<string, Map<string, Map<number, Series>>>();

  observe(method: string, route: string, status: number, seconds: number): void {
    let s = this.byRoute.get(route)?.get(method)?.get(status);
    if (!s) s = this.add(method, route, status);
    s.count++;
    s.sum += seconds;
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
    if (i < BUCKETS.length) s.buckets[i]!++;
  }

  private add(method: string, route: string, status: number): Series {
    if (this.series.size >= MAX_SERIES) {
      this.series.clear();
      this.byRoute.clear();
    }
    const s: Series = {
      labels: `method="${escapeLabel(method)}",route="${escapeLabel(route)}",status="${status}"`,
      count: 0,
      sum: 0,
      buckets: BUCKETS.map(() => 0),
    };
    this.series.set(`${method} ${status} ${route}`, s);
    const methods = this.byRoute.get(route) ?? new Map<string, Map<number, Series>>();
    this.byRoute.set(route, methods);
    const statuses = methods.get(method) ?? new Map<number, Series>();
    methods.set(method, statuses);
    statuses.set(status, s);
    return s;
  }

  /** Both metrics in the Prometheus text format (0.0.4), each line ended by a newline. */
  render(): string {
    const count = "vigil_http_requests_total";
    const duration = "vigil_http_request_duration_seconds";
    const out = [
      `# HELP ${count} HTTP requests by method, route pattern and status`,
      `# TYPE ${count} counter`,
    ];
    for (const s of this.series.values()) out.push(`${count}{${s.labels}} ${s.count}`);
    out.push(`# HELP ${duration} HTTP request duration by method, route pattern and status`);
    out.push(`# TYPE ${duration} histogram`);
    for (const s of this.series.values()) {
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += s.buckets[i]!;
        out.push(`${duration}_bucket{${s.labels},le="${le}"} ${cumulative}`);
      });
      out.push(`${duration}_bucket{${s.labels},le="+Inf"} ${s.count}`);
      out.push(`${duration}_sum{${s.labels}} ${s.sum}`);
      out.push(`${duration}_count{${s.labels}} ${s.count}`);
    }
    return `${out.join("\n")}\n`;
  }
}

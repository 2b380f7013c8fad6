import { describe, expect, it } from "vitest";
import { RequestMetrics } from "./request-metrics.ts";

describe("RequestMetrics (the per-request series in Prometheus text)", () => {
  it("counts per method, route and status, with cumulative buckets, +Inf, sum and count", () => {
    const m = new RequestMetrics();
    m.observe("GET", "/v1/auth/me", 200, 0.004);
    m.observe("GET", "/v1/auth/me", 200, 0.02);
    m.observe("GET", "/v1/auth/me", 200, 30);
    m.observe("POST", "/v1/auth/login", 401, 0.3);
    const text = m.render();
    const me = 'method="GET",route="/v1/auth/me",status="200"';
    expect(text).toContain("# TYPE vigil_http_requests_total counter\n");
    expect(text).toContain(`vigil_http_requests_total{${me}} 3\n`);
    expect(text).toContain(
      'vigil_http_requests_total{method="POST",route="/v1/auth/login",status="401"} 1\n',
    );
    expect(text).toContain("# TYPE vigil_http_request_duration_seconds histogram\n");
    expect(text).toContain(`vigil_http_request_duration_seconds_bucket{${me},le="0.005"} 1\n`);
    expect(text).toContain(`vigil_http_request_duration_seconds_bucket{${me},le="0.01"} 1\n`);
    expect(text).toContain(`vigil_http_request_duration_seconds_bucket{${me},le="0.025"} 2\n`);
    expect(text).toContain(`vigil_http_request_duration_seconds_bucket{${me},le="10"} 2\n`);
    expect(text).toContain(`vigil_http_request_duration_seconds_bucket{${me},le="+Inf"} 3\n`);
    expect(text).toContain(`vigil_http_request_duration_seconds_sum{${me}} 30.024\n`);
    expect(text).toContain(`vigil_http_request_duration_seconds_count{${me}} 3\n`);
    // A value on a bucket's bound falls in that bucket (le: less than or equal).
    m.observe("GET", "/edge", 200, 0.1);
    expect(m.render()).toContain(
      'vigil_http_request_duration_seconds_bucket{method="GET",route="/edge",status="200",le="0.1"} 1\n',
    );
  });

  it("escapes label values as the text format requires", () => {
    const m = new RequestMetrics();
    m.observe("GET", 'a"b\\c\nd', 200, 0.001);
    expect(m.render()).toContain('route="a\\"b\\\\c\\nd"');
  });
});

/**
 * Bar charts as inline SVG, drawn on the server: no script, no style attribute
 * (colours come from classes in the stylesheet), and a text equivalent for
 * screen readers (role="img" with a label naming the total and the peak).
 */
const W = 240;
const H = 60;

export function BarChart(props: { values: number[]; label: string; cls: string; id: string }) {
  const { values } = props;
  const max = Math.max(1, ...values);
  const step = W / values.length;
  const total = values.reduce((a, b) => a + b, 0);
  const peak = Math.max(0, ...values);
  const summary = `${props.label}: ${total} in total, at most ${peak} per bar`;
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${W} ${H}`}
      preserveAspectRatio="none"
      role="img"
      aria-labelledby={`${props.id}-t`}
    >
      <title id={`${props.id}-t`}>{summary}</title>
      <line class="axis" x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} />
      {values.map((v, i) =>
        v > 0 ? (
          <rect
            class={props.cls}
            x={(i * step + step * 0.1).toFixed(2)}
            width={(step * 0.8).toFixed(2)}
            y={(H - (v / max) * (H - 2)).toFixed(2)}
            height={((v / max) * (H - 2)).toFixed(2)}
          />
        ) : null,
      )}
    </svg>
  );
}

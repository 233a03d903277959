/** Parses Prometheus text into sample name{labels} → value, failing on any malformed line. */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/.exec(
      line,
    );
    if (!m) throw new Error(`malformed metrics line: ${line}`);
    samples.set(m[1], Number(m[2]));
  }
  return samples;
}

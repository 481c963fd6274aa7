// Minimal types for autocannon 8 (it ships none): only what the benchmark reads.
declare module 'autocannon' {
  namespace autocannon {
    interface Result {
      requests: { average: number };
      latency: { p50: number; average: number };
      non2xx: number;
      errors: number;
    }
  }
  function autocannon(options: Record<string, unknown>): Promise<autocannon.Result>;
  export default autocannon;
}

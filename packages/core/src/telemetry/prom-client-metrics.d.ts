// prom-client 15 keeps each default metric in its own module (lib/metrics/*.js), a function of
// the registry; its package declares no types for them. See process-metrics.ts.
declare module 'prom-client/lib/metrics/*.js' {
  import type { Registry } from 'prom-client';
  const collect: (registry: Registry, config?: { eventLoopMonitoringPrecision?: number }) => void;
  export default collect;
}

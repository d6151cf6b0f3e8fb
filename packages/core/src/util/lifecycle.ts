/** Every long-running part: start it, and close it (idempotent; drains before it resolves). */
export interface Lifecycle {
  start(): Promise<void>;
  close(): Promise<void>;
}

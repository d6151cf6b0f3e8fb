// Server-side tracking: an order confirmed on the server, sent with the customer's profile id.
// Usage: INFLOW_ENDPOINT=http://127.0.0.1:8686 node examples/node/server-side.mjs
import { createNodeTracker } from '@inflow/sdk/node';

const tracker = createNodeTracker({
  endpoint: process.env.INFLOW_ENDPOINT ?? 'http://127.0.0.1:8686',
  sourceId: process.env.INFLOW_SOURCE ?? 'demo',
  onError: (message) => console.error(message),
});

tracker.track({ profileId: 'customer-42', type: 'order-completed', properties: { orderId: 'A-1001', total: 59.9, currency: 'EUR' } });
const answer = await tracker.trackProcessed({ profileId: 'customer-42', type: 'invoice-sent', properties: { orderId: 'A-1001' } });
console.log('processed:', answer);

// Sends everything still queued (retrying, honouring Retry-After) for at most 5 s before the process exits.
// In a serverless handler, flush instead of closing: `waitUntil(tracker.flush({ timeoutMs: 5000 }))`.
const { sent, pending, dropped } = await tracker.close({ timeoutMs: 5_000 });
console.log(pending === 0 && dropped === 0 ? `all events sent (${sent})` : `${sent} sent, ${pending} still pending, ${dropped} dropped`);

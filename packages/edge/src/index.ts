// The ingestion edge: HTTP servers (uWebSockets.js; node:http where uWS cannot serve a client), the public routes
// (/track, Segment's /v1) and the small router and replies the private API reuses. It knows
// the core ports it needs (Queue, SourceStore) and nothing of the workers.
export { listenUws } from './http/uws-server.js';
export { listenNodeHttp } from './http/node-server.js';
export { loadUws, UwsFallbackError, type UwsModule } from './http/load-uws.js';
export { Router, type RouteHandler, routedMethod } from './http/router.js';
export { errorReply, json, methodNotAllowed } from './http/replies.js';
export { publicRoutes } from './public-api/public-routes.js';
export { earlyReplyCors } from './public-api/cors.js';
export { IntakeDigest } from './public-api/intake-digest.js';
export { createTrackHandler, type TrackHandlerDeps } from './track/track-handler.js';
export { readTrackBody } from './track/read-track-body.js';
export { SourceRegistry, SourceExistsError, type SourceInput } from './sources/source-registry.js';
export type { HttpHandler, HttpReply, HttpRequest, HttpServer, ServerOptions } from './http/http-types.js';

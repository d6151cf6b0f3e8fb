import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';

export type UwsModule = typeof Uws;

export class UwsFallbackError extends Error {
  constructor() {
    super(
      'uWebSockets.js loaded its slow pure-JS fallback, not the native build (Node ' +
        process.versions.node +
        ', ABI ' +
        process.versions.modules +
        '). Use Node 20, or set INFLOW_ALLOW_UWS_FALLBACK=1 to run slowly anyway.',
    );
    this.name = 'UwsFallbackError';
  }
}

/** Loads uWebSockets.js and refuses its pure-JS fallback unless allowed. */
export function loadUws(allowFallback: boolean): { uws: UwsModule; native: boolean } {
  const require = createRequire(import.meta.url);
  const uws = require('uWebSockets.js') as UwsModule;
  // The native addon's functions are host functions; the fallback's are plain JavaScript.
  const native = Function.prototype.toString.call(uws.App).includes('[native code]');
  if (!native && !allowFallback) throw new UwsFallbackError();
  return { uws, native };
}

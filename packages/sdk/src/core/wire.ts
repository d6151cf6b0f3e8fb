/**
 * The slice of the /track wire contract the tracker sends and reads, declared here so the
 * published types stand alone (`@inflow/protocol` is a devDependency). wire.test.ts checks
 * at compile time that these stay assignable to the protocol's own types.
 */
export type JsonObject = { [key: string]: unknown };

export interface WireEvent {
  id: string;
  type: string;
  properties: JsonObject;
  time: string;
  context?: JsonObject;
}

export interface WirePayload {
  source: { id: string };
  profile: { id: string };
  session: { id: string };
  events: WireEvent[];
  /** Page context shared by every event of the request. */
  context?: JsonObject;
  options: { queue: boolean };
  /** When this attempt left, by this device's clock: the edge corrects the events' times for the device's clock with it. The tracker always sends it. */
  sentAt?: string;
}

/** One event the edge refused in an otherwise accepted request. */
export interface RejectedEvent {
  index: number;
  id?: string;
  code: string;
  message: string;
  path?: string;
}

/** Body of a 200 (processed) or 201 (queued) answer. */
export interface Processed {
  profile: { id: string };
  session: { id: string };
  events: string[];
  rejected?: RejectedEvent[];
}

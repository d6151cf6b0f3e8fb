/**
 * How far before its receipt an event's own time is believed when records are placed and dated
 * by it: the index of the day an event is stored in, a visit's and a session's start and end. An
 * offline queue or a late batch comes within it; a time further back (a clock far behind, an
 * import) counts as the time received, as a time ahead of it does.
 */
export const MAX_CLOCK_SKEW_MS = 7 * 24 * 3600_000;

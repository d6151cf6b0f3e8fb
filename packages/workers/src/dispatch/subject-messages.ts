import type { Subject } from '../conditions/field-path.js';

/** What the dispatch and workflow topics carry: one profile's stored events, in order, with the state they left. */
export interface SubjectMessage {
  v: 1;
  /** The destination id, or `workflow`. */
  destination: string;
  subjects: Subject[];
}

/** Subjects grouped by profile, each group in the order given. */
function subjectsByProfile(subjects: Iterable<Subject>): Map<string, Subject[]> {
  const byProfile = new Map<string, Subject[]>();
  for (const subject of subjects) {
    const list = byProfile.get(subject.profile.id);
    if (list) list.push(subject);
    else byProfile.set(subject.profile.id, [subject]);
  }
  return byProfile;
}

/**
 * Most bytes of subjects in one message. A profile's subjects go in as many messages as they
 * need, in order (one key: one partition, one consumer): 100 events of 60 KB context each made
 * one 12 MB message, past the broker's frame limit, which failed for ever and held the collector.
 */
export const MAX_SUBJECT_MESSAGE_BYTES = 1_000_000;

/** Each profile's subjects as messages of at most MAX_SUBJECT_MESSAGE_BYTES (a larger subject goes alone), keyed by profile. */
export function subjectMessages(destination: string, subjects: Iterable<Subject>, maxBytes = MAX_SUBJECT_MESSAGE_BYTES): Array<{ key: string; data: Buffer }> {
  const head = `{"v":1,"destination":${JSON.stringify(destination)},"subjects":[`;
  const messages: Array<{ key: string; data: Buffer }> = [];
  for (const [profileId, list] of subjectsByProfile(subjects)) {
    let parts: string[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (parts.length > 0) messages.push({ key: profileId, data: Buffer.from(`${head}${parts.join(',')}]}`) });
      parts = [];
      bytes = 0;
    };
    for (const subject of list) {
      const part = JSON.stringify(subject);
      const size = Buffer.byteLength(part) + 1;
      if (parts.length > 0 && bytes + size > maxBytes) flush();
      parts.push(part);
      bytes += size;
    }
    flush();
  }
  return messages;
}

/** The message as a worker reads it; null when it is not one (dead-lettered with that reason). */
export function decodeSubjects(data: Uint8Array): SubjectMessage | null {
  try {
    const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as Partial<SubjectMessage>;
    if (parsed.v !== 1 || typeof parsed.destination !== 'string' || !Array.isArray(parsed.subjects)) return null;
    return parsed as SubjectMessage;
  } catch {
    return null;
  }
}

import type { Subject } from '../conditions/field-path.js';

/** What the dispatch and workflow topics carry: one profile's stored events, in order, with the state they left. */
export interface SubjectMessage {
  v: 1;
  /** The destination id, or `workflow`. */
  destination: string;
  subjects: Subject[];
}

/** Subjects grouped by profile, each group in the order given. */
export function subjectsByProfile(subjects: Iterable<Subject>): Map<string, Subject[]> {
  const byProfile = new Map<string, Subject[]>();
  for (const subject of subjects) {
    const list = byProfile.get(subject.profile.id);
    if (list) list.push(subject);
    else byProfile.set(subject.profile.id, [subject]);
  }
  return byProfile;
}

export function encodeSubjects(destination: string, subjects: Subject[]): Buffer {
  return Buffer.from(JSON.stringify({ v: 1, destination, subjects } satisfies SubjectMessage));
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

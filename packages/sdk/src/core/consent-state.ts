/** Consent as given: everything, nothing, or per category. */
export type Consent = boolean | Record<string, boolean>;

/** The category of an event that declares none. */
export const DEFAULT_CATEGORY = 'analytics';

/** Whether an event of `category` may be kept and sent; undefined consent (not given yet) allows nothing. */
export function allows(consent: Consent | undefined, category = DEFAULT_CATEGORY): boolean {
  return typeof consent === 'object' ? consent[category] === true : consent === true;
}

/** Whether anything may be stored at all (ids, queue): some category is granted. */
export function allowsAny(consent: Consent | undefined): boolean {
  return typeof consent === 'object' ? Object.values(consent).some(Boolean) : consent === true;
}

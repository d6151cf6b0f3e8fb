// Everything the shop tells Inflow goes through here. `window.inflow` is looked up on every
// call: until /inflow.min.js has loaded it is the snippet's queue, then the real tracker.
import { amount, CURRENCY } from './catalog.js';

const CHOICE_KEY = 'shop.consent';
const tracker = () => window.inflow;

/** The visitor's saved choice, { analytics, marketing }, or null before they chose. */
export function savedChoice() {
  try {
    const choice = JSON.parse(localStorage.getItem(CHOICE_KEY) ?? 'null');
    return choice && typeof choice.analytics === 'boolean' ? { analytics: choice.analytics, marketing: choice.marketing === true } : null;
  } catch {
    return null;
  }
}

/** Remembers the visitor's choice and hands it to the tracker. */
export function saveChoice(choice) {
  localStorage.setItem(CHOICE_KEY, JSON.stringify(choice));
  applyConsent(choice);
  window.dispatchEvent(new CustomEvent('shop:consent', { detail: choice }));
}

/**
 * The one place the shop passes consent to the tracker: by category. The shop's events are
 * analytics (the tracker's default category), so they flow only when analytics is granted.
 */
export function applyConsent(choice) {
  tracker().consent({ analytics: choice.analytics, marketing: choice.marketing });
}

export function track(type, properties) {
  tracker().track(type, properties);
}

export function identify(traits) {
  tracker().identify(traits);
}

/** Sends what is queued now (a no-op until the tracker has loaded or consent was given). */
export function flush() {
  return Promise.resolve(tracker().flush());
}

/** The properties of a product in an event. */
export function productProperties(product, quantity) {
  return {
    product_id: product.id,
    name: product.name,
    category: product.category,
    price: amount(product.price),
    currency: CURRENCY,
    ...(quantity === undefined ? {} : { quantity }),
  };
}

/** The items of a cart or an order in an event. */
export function itemsProperties(lines) {
  return lines.map((line) => ({ product_id: line.product.id, name: line.product.name, price: amount(line.product.price), quantity: line.quantity }));
}

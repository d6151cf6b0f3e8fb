// The cart, kept in the shop's own localStorage key (not the tracker's) so it survives reloads.
import { productById } from './catalog.js';

const KEY = 'shop.cart';

function read() {
  try {
    const lines = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(lines) ? lines.filter((line) => productById(line.id) && line.quantity > 0) : [];
  } catch {
    return [];
  }
}

function write(lines) {
  localStorage.setItem(KEY, JSON.stringify(lines));
  window.dispatchEvent(new CustomEvent('shop:cart'));
}

/** [{ product, quantity }] in the order they were added. */
export function cartLines() {
  return read().map((line) => ({ product: productById(line.id), quantity: line.quantity }));
}

export function quantityOf(id) {
  return read().find((line) => line.id === id)?.quantity ?? 0;
}

/** Sets a product's quantity; 0 takes it out of the cart. */
export function setQuantity(id, quantity) {
  const lines = read();
  const line = lines.find((l) => l.id === id);
  if (line) line.quantity = quantity;
  else lines.push({ id, quantity });
  write(lines.filter((l) => l.quantity > 0));
}

export function itemCount() {
  return read().reduce((sum, line) => sum + line.quantity, 0);
}

export function cartTotal() {
  return cartLines().reduce((sum, line) => sum + line.product.price * line.quantity, 0);
}

export function clearCart() {
  write([]);
}

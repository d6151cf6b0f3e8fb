// The shop's pages. Each view returns its title, its HTML and a function that wires it up
// (and sends the events that showing it means).
import { flush, identify, itemsProperties, productProperties, track } from './analytics.js';
import { cartLines, cartTotal, clearCart, quantityOf, setQuantity } from './cart.js';
import { amount, CURRENCY, money, PRODUCTS, productById } from './catalog.js';
import { $, esc, on, toast } from './dom.js';

const ORDER_KEY = 'shop.lastOrder';

/** Adds `quantity` of a product to the cart and says so. */
export function addToCart(product, quantity) {
  setQuantity(product.id, quantityOf(product.id) + quantity);
  track('product-added', productProperties(product, quantity));
  toast(`${product.name} added to your cart`);
}

export function catalogView() {
  const cards = PRODUCTS.map(
    (p) => `<article class="card" data-test="product-card" data-product="${esc(p.id)}">
      <a class="card-art" href="/products/${esc(p.id)}" data-link aria-label="${esc(p.name)}">${p.art}</a>
      <div class="card-body">
        <p class="eyebrow">${esc(p.category)}</p>
        <h3><a href="/products/${esc(p.id)}" data-link>${esc(p.name)}</a></h3>
        <div class="card-foot">
          <span class="price">${money(p.price)}</span>
          <button class="btn btn-small" data-add="${esc(p.id)}" data-test="quick-add">Add to cart</button>
        </div>
      </div>
    </article>`,
  ).join('');
  return {
    title: 'Inflow Supply Co.',
    html: `<section class="hero">
        <div>
          <p class="eyebrow">Inflow demo shop</p>
          <h1>Small goods, <span class="accent">tracked in the open.</span></h1>
          <p class="lede">Every page you open and every item you add becomes an event, sent by the Inflow tracker
            to the edge serving this page. Open the <button class="link" data-open-panel>live panel</button> to watch
            them arrive and to see the profile Inflow builds from them.</p>
        </div>
      </section>
      <section class="grid" aria-label="Products">${cards}</section>`,
    mount(root) {
      on(root, 'click', '[data-add]', (button) => addToCart(productById(button.dataset.add), 1));
    },
  };
}

export function productView(id) {
  const p = productById(id);
  if (!p) return notFoundView();
  return {
    title: `${p.name} · Inflow Supply Co.`,
    html: `<a class="back" href="/" data-link>← All products</a>
      <section class="detail" data-test="product-detail" data-product="${esc(p.id)}">
        <div class="detail-art">${p.art}</div>
        <div class="detail-info">
          <p class="eyebrow">${esc(p.category)}</p>
          <h1>${esc(p.name)}</h1>
          <p class="price price-large">${money(p.price)}</p>
          <p class="lede">${esc(p.blurb)}</p>
          <div class="buy">
            <div class="stepper" aria-label="Quantity">
              <button class="step" data-step="-1" aria-label="One less">−</button>
              <output id="detail-qty" data-test="detail-quantity">1</output>
              <button class="step" data-step="1" aria-label="One more">+</button>
            </div>
            <button class="btn" id="detail-add" data-test="add-to-cart">Add to cart</button>
          </div>
          <p class="fineprint">Free shipping · 30-day returns · No account needed</p>
        </div>
      </section>`,
    mount(root) {
      let quantity = 1;
      on(root, 'click', '[data-step]', (button) => {
        quantity = Math.min(9, Math.max(1, quantity + Number(button.dataset.step)));
        $('#detail-qty', root).textContent = String(quantity);
      });
      $('#detail-add', root).addEventListener('click', () => addToCart(p, quantity));
      track('product-viewed', productProperties(p));
    },
  };
}

export function cartView() {
  const lines = cartLines();
  if (lines.length === 0) {
    return {
      title: 'Your cart · Inflow Supply Co.',
      html: `<section class="empty" data-test="cart-empty"><h1>Your cart is empty</h1>
        <p class="lede">Nothing here yet.</p><a class="btn" href="/" data-link>Browse products</a></section>`,
    };
  }
  const rows = lines
    .map(
      ({ product: p, quantity }) => `<li class="line" data-test="cart-line" data-product="${esc(p.id)}">
        <div class="line-art">${p.art}</div>
        <div class="line-name"><a href="/products/${esc(p.id)}" data-link>${esc(p.name)}</a><span>${money(p.price)} each</span></div>
        <div class="stepper">
          <button class="step" data-change="-1" data-id="${esc(p.id)}" aria-label="One less ${esc(p.name)}" data-test="decrease">−</button>
          <output data-test="line-quantity">${quantity}</output>
          <button class="step" data-change="1" data-id="${esc(p.id)}" aria-label="One more ${esc(p.name)}" data-test="increase">+</button>
        </div>
        <span class="line-total">${money(p.price * quantity)}</span>
        <button class="remove" data-remove="${esc(p.id)}" aria-label="Remove ${esc(p.name)}" data-test="remove">×</button>
      </li>`,
    )
    .join('');
  return {
    title: 'Your cart · Inflow Supply Co.',
    html: `<h1>Your cart</h1>
      <div class="columns">
        <ul class="lines">${rows}</ul>
        ${summary(lines, '<a class="btn btn-block" href="/checkout" data-link data-test="checkout">Checkout</a>')}
      </div>`,
    mount(root, rerender) {
      on(root, 'click', '[data-change]', (button) => {
        const p = productById(button.dataset.id);
        const delta = Number(button.dataset.change);
        setQuantity(p.id, quantityOf(p.id) + delta);
        track(delta > 0 ? 'product-added' : 'product-removed', productProperties(p, 1));
        rerender();
      });
      on(root, 'click', '[data-remove]', (button) => {
        const p = productById(button.dataset.remove);
        const quantity = quantityOf(p.id);
        setQuantity(p.id, 0);
        track('product-removed', productProperties(p, quantity));
        rerender();
      });
    },
  };
}

export function checkoutView(navigate) {
  const lines = cartLines();
  if (lines.length === 0) return cartView();
  return {
    title: 'Checkout · Inflow Supply Co.',
    html: `<h1>Checkout</h1>
      <div class="columns">
        <form class="panel form" id="checkout-form" data-test="checkout-form">
          <label>Email<input type="email" name="email" autocomplete="email" required placeholder="jane@example.com" data-test="email"></label>
          <label>Full name<input type="text" name="name" autocomplete="name" required placeholder="Jane Doe" data-test="name"></label>
          <p class="fineprint">No payment is taken: this is a demo. Your email and name are sent to Inflow with
            <code>identify</code> and become traits of your profile.</p>
          <button class="btn btn-block" type="submit" data-test="place-order">Place order · ${money(cartTotal())}</button>
        </form>
        ${summary(lines, '')}
      </div>`,
    mount(root) {
      const total = cartTotal();
      track('checkout-started', { total: amount(total), currency: CURRENCY, items: itemsProperties(lines) });
      $('#checkout-form', root).addEventListener('submit', (event) => {
        event.preventDefault();
        const form = new FormData(event.target);
        const customer = { email: String(form.get('email')).trim(), name: String(form.get('name')).trim() };
        const order = { id: `ORD-${Math.random().toString(36).slice(2, 8).toUpperCase()}`, total, lines: cartLines(), customer };
        identify({ email: customer.email, name: customer.name });
        track('order-completed', { order_id: order.id, total: amount(total), currency: CURRENCY, items: itemsProperties(order.lines) });
        void flush();
        localStorage.setItem(ORDER_KEY, JSON.stringify({ ...order, lines: order.lines.map((l) => ({ id: l.product.id, quantity: l.quantity })) }));
        clearCart();
        navigate(`/orders/${order.id}`);
      });
    },
  };
}

export function orderView(id) {
  let order = null;
  try {
    order = JSON.parse(localStorage.getItem(ORDER_KEY) ?? 'null');
  } catch {
    order = null;
  }
  if (!order || order.id !== id) return notFoundView();
  const lines = order.lines.map((l) => ({ product: productById(l.id), quantity: l.quantity })).filter((l) => l.product);
  return {
    title: `Order ${order.id} · Inflow Supply Co.`,
    html: `<section class="confirmation" data-test="order-confirmation">
        <div class="check" aria-hidden="true">✓</div>
        <h1>Thank you, ${esc(order.customer.name.split(' ')[0])}!</h1>
        <p class="lede">Order <strong data-test="order-id">${esc(order.id)}</strong> is confirmed. A receipt would go to
          <strong>${esc(order.customer.email)}</strong>, if this shop were real.</p>
        ${summary(lines, '<a class="btn btn-block" href="/" data-link>Continue shopping</a>')}
        <p class="fineprint">The <code>order-completed</code> event and your new traits are in the
          <button class="link" data-open-panel>live panel</button>.</p>
      </section>`,
  };
}

export function notFoundView() {
  return {
    title: 'Not found · Inflow Supply Co.',
    html: `<section class="empty"><h1>Nothing here</h1><p class="lede">That page does not exist.</p>
      <a class="btn" href="/" data-link>Back to the shop</a></section>`,
  };
}

function summary(lines, action) {
  const total = lines.reduce((sum, l) => sum + l.product.price * l.quantity, 0);
  const rows = lines
    .map((l) => `<div class="sum-row"><span>${esc(l.product.name)} × ${l.quantity}</span><span>${money(l.product.price * l.quantity)}</span></div>`)
    .join('');
  return `<aside class="panel summary" data-test="summary">
      <h2>Summary</h2>${rows}
      <div class="sum-row muted"><span>Shipping</span><span>Free</span></div>
      <div class="sum-row sum-total"><span>Total</span><span data-test="total">${money(total)}</span></div>
      ${action}
    </aside>`;
}

// The shop's entry: routes between pages with the history API (the tracker's page-views add-on
// sends a page view on every pushState), keeps the cart badge current, and asks for consent.
import { applyConsent, savedChoice } from './analytics.js';
import { itemCount } from './cart.js';
import { showConsentBanner } from './consent-banner.js';
import { $, on } from './dom.js';
import { setUpLivePanel } from './live-panel.js';
import { cartView, catalogView, checkoutView, notFoundView, orderView, productView } from './views.js';

function viewFor(path) {
  const [, first = '', second = ''] = path.split('/');
  if (first === '' || first === 'index.html') return catalogView();
  if (first === 'products' && second) return productView(decodeURIComponent(second));
  if (first === 'cart') return cartView();
  if (first === 'checkout') return checkoutView(navigate);
  if (first === 'orders' && second) return orderView(decodeURIComponent(second));
  return notFoundView();
}

function show(view) {
  // A fresh element per page, so a page never keeps the listeners of the one before.
  const root = document.createElement('div');
  root.innerHTML = view.html;
  $('#main').replaceChildren(root);
  view.mount?.(root, () => show(viewFor(location.pathname)));
  for (const link of document.querySelectorAll('[data-nav]')) link.classList.toggle('active', link.getAttribute('href') === location.pathname);
}

/** Goes to a page: the title first, so the page view the tracker sends on pushState names it. */
function navigate(path) {
  const view = viewFor(path);
  document.title = view.title;
  if (path !== location.pathname) history.pushState(null, '', path);
  show(view);
  window.scrollTo(0, 0);
}

function updateBadge() {
  const count = itemCount();
  const badge = $('#cart-count');
  badge.textContent = String(count);
  badge.hidden = count === 0;
}

on(document, 'click', 'a[data-link]', (link, event) => {
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});
window.addEventListener('popstate', () => {
  const view = viewFor(location.pathname);
  document.title = view.title;
  show(view);
});
window.addEventListener('shop:cart', updateBadge);
$('#privacy-settings').addEventListener('click', () => showConsentBanner(true));

const choice = savedChoice();
if (choice) applyConsent(choice);
else showConsentBanner();
setUpLivePanel();
updateBadge();
const first = viewFor(location.pathname);
document.title = first.title;
show(first);

// A small single-page app with history routing, tracked through the npm package.
import { autoPageViews, createTracker, localStorageStore } from '@inflow/sdk';

const config = window.INFLOW_CONFIG ?? { endpoint: location.origin, sourceId: 'demo' };
const tracker = createTracker({ ...config, store: localStorageStore(config.sourceId), flushMs: 200 });
window.tracker = tracker;

const pages = {
  '/': '<h1>Home</h1><p>Welcome to the shop.</p>',
  '/products': '<h1>Products</h1><button id="buy">Add to cart</button>',
  '/about': '<h1>About</h1><p>We sell shoes.</p>',
};

function render() {
  const path = location.pathname.replace(/^.*\/spa/, '') || '/';
  document.getElementById('view').innerHTML = pages[path] ?? '<h1>Not found</h1>';
  document.getElementById('buy')?.addEventListener('click', () => tracker.track('add-to-cart', { sku: 'SKU-42' }));
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-route]');
  if (!link) return;
  event.preventDefault();
  history.pushState({}, '', link.href);
  render();
});
window.addEventListener('popstate', render);

render();
autoPageViews(tracker);

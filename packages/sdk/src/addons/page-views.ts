/**
 * Script-tag add-on (dist/inflow.page-views.min.js): a page view now and on every route change
 * of a single-page app, as autoPageViews does for the npm import. With it, leave out the
 * snippet's `inflow.page()`: the add-on sends the first page view itself.
 */
import { autoPageViews } from '../plugins/auto-page-views.js';
import { whenLoaded } from './when-loaded.js';

whenLoaded('page-views', autoPageViews);

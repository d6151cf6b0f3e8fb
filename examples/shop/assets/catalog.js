// The products of the demo shop. Prices are in cents; the art is inline SVG (no images to fetch).

export const CURRENCY = 'EUR';

const art = (background, shapes) =>
  `<svg viewBox="0 0 200 160" role="img" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">` +
  `<rect width="200" height="160" fill="${background}"/>` +
  `<ellipse cx="100" cy="138" rx="62" ry="8" fill="#000" opacity=".08"/>${shapes}</svg>`;

export const PRODUCTS = [
  {
    id: 'aurora-mug',
    name: 'Aurora mug',
    category: 'Kitchen',
    price: 1800,
    blurb: 'Stoneware mug with a glaze that shifts from teal to violet. Holds 350 ml of whatever gets you going.',
    art: art(
      '#e0f2f1',
      '<path d="M62 52h66v62a18 18 0 0 1-18 18H80a18 18 0 0 1-18-18z" fill="#14b8a6"/>' +
        '<path d="M62 52h66v22H62z" fill="#8b5cf6" opacity=".55"/>' +
        '<path d="M128 66h8a16 16 0 0 1 0 32h-8" fill="none" stroke="#0f766e" stroke-width="8"/>' +
        '<path d="M82 30c-6 8 6 10 0 18M98 26c-6 8 6 10 0 18M114 30c-6 8 6 10 0 18" fill="none" stroke="#0f766e" stroke-width="3" stroke-linecap="round" opacity=".5"/>',
    ),
  },
  {
    id: 'trail-pack',
    name: 'Trail pack 20L',
    category: 'Outdoors',
    price: 8900,
    blurb: 'A light daypack with a roll top, a padded back and room for a jacket, lunch and a laptop.',
    art: art(
      '#fef3c7',
      '<rect x="60" y="34" width="80" height="100" rx="22" fill="#ea580c"/>' +
        '<rect x="72" y="78" width="56" height="40" rx="10" fill="#c2410c"/>' +
        '<path d="M76 34v-6a24 12 0 0 1 48 0v6" fill="none" stroke="#9a3412" stroke-width="6"/>' +
        '<rect x="86" y="92" width="28" height="5" rx="2.5" fill="#fed7aa"/>' +
        '<circle cx="100" cy="56" r="5" fill="#fed7aa"/>',
    ),
  },
  {
    id: 'field-notebook',
    name: 'Field notebook',
    category: 'Stationery',
    price: 1250,
    blurb: 'Dot-grid pages, a lay-flat binding and a cover that survives a rainy walk. A5, 160 pages.',
    art: art(
      '#e0e7ff',
      '<rect x="56" y="30" width="84" height="106" rx="6" fill="#312e81"/>' +
        '<rect x="64" y="30" width="76" height="106" rx="6" fill="#4338ca"/>' +
        '<rect x="78" y="50" width="48" height="16" rx="3" fill="#e0e7ff"/>' +
        '<rect x="128" y="30" width="6" height="118" fill="#f59e0b"/>' +
        '<circle cx="102" cy="100" r="14" fill="none" stroke="#a5b4fc" stroke-width="3"/>',
    ),
  },
  {
    id: 'desk-fern',
    name: 'Desk fern',
    category: 'Home',
    price: 2400,
    blurb: 'A Boston fern in a matte clay pot. Forgiving, green all year, and happy in indirect light.',
    art: art(
      '#dcfce7',
      '<path d="M100 92C96 60 70 44 50 42c16 10 30 28 42 52M100 92c4-34 26-54 50-58-16 12-30 32-42 60M100 92c0-30-2-50-6-66 10 16 14 38 10 66" fill="#16a34a"/>' +
        '<path d="M100 92C88 72 66 66 52 70c14 4 30 12 44 26M100 92c12-18 32-24 48-20-16 4-30 12-42 26" fill="#22c55e"/>' +
        '<path d="M70 92h60l-8 42H78z" fill="#c2410c"/><rect x="66" y="88" width="68" height="10" rx="3" fill="#9a3412"/>',
    ),
  },
  {
    id: 'merino-beanie',
    name: 'Merino beanie',
    category: 'Apparel',
    price: 2900,
    blurb: 'Rib-knit merino wool, soft enough for bare foreheads and warm enough for January mornings.',
    art: art(
      '#fce7f3',
      '<circle cx="100" cy="34" r="13" fill="#fbcfe8"/>' +
        '<path d="M50 110c0-40 22-66 50-66s50 26 50 66z" fill="#db2777"/>' +
        '<path d="M64 70v40M78 56v54M92 48v62M108 48v62M122 56v54M136 70v40" stroke="#be185d" stroke-width="4"/>' +
        '<rect x="44" y="104" width="112" height="26" rx="8" fill="#9d174d"/>',
    ),
  },
  {
    id: 'stoneware-teapot',
    name: 'Stoneware teapot',
    category: 'Kitchen',
    price: 4600,
    blurb: 'Hand-thrown, with a built-in strainer and a lid that stays put while you pour. Serves four.',
    art: art(
      '#f1f5f9',
      '<ellipse cx="100" cy="96" rx="46" ry="38" fill="#475569"/>' +
        '<path d="M144 88c16-4 24-18 30-28" fill="none" stroke="#475569" stroke-width="10" stroke-linecap="round"/>' +
        '<path d="M56 78c-18 0-20 32 0 32" fill="none" stroke="#334155" stroke-width="8"/>' +
        '<ellipse cx="100" cy="60" rx="28" ry="8" fill="#334155"/><circle cx="100" cy="50" r="6" fill="#94a3b8"/>' +
        '<path d="M62 100h76" stroke="#94a3b8" stroke-width="3" opacity=".6"/>',
    ),
  },
];

export function productById(id) {
  return PRODUCTS.find((product) => product.id === id);
}

/** "€18.00" */
export function money(cents) {
  return new Intl.NumberFormat('en-IE', { style: 'currency', currency: CURRENCY }).format(cents / 100);
}

/** Amounts in events are decimal currency units (18.5), as analytics tools expect. */
export function amount(cents) {
  return Math.round(cents) / 100;
}

import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';

/** What a test reads of /metrics: the families, and values summed over instances by name and labels. */
export interface Scrape {
  families: ParsedFamily[];
  /** Sum of the samples named `name` (a histogram's `name_count`, `name_bucket`…) whose labels include `labels`. */
  value(name: string, labels?: Record<string, string>): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses each text with parse-prometheus-text-format (which throws on a malformed one). Values
 * are read from the sample lines themselves: that parser folds a labelled histogram's series
 * into one and loses their labels.
 */
export function parseScrapes(texts: readonly string[]): Scrape {
  const families = texts.flatMap((text) => parsePrometheusTextFormat(text));
  const samples = texts.flatMap((text) =>
    text.split('\n').flatMap((line) => {
      const match = SAMPLE.exec(line);
      if (!match || line.startsWith('#')) return [];
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(LABEL)].map((label) => [label[1] as string, label[2] as string]));
      return [{ name: match[1] as string, labels, value: Number(match[3]) }];
    }),
  );
  return {
    families,
    value(name, labels = {}) {
      let sum = 0;
      for (const sample of samples) {
        if (sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) sum += sample.value;
      }
      return sum;
    },
  };
}

export async function scrape(url: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(url, { headers });
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  if (!response.headers.get('content-type')?.startsWith('text/plain; version=0.0.4')) throw new Error(`${url}: content-type ${response.headers.get('content-type')}`);
  return response.text();
}

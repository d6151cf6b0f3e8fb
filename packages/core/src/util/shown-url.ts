/**
 * A service URL as logs and status output may show it: a password in it (`redis://:pw@host`,
 * `https://user:pw@host`) becomes `***`. A string that is not a URL is shown as it is.
 */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

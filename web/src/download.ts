import { ApiError, authHeader, type Query, unwrap, url } from './api.js';

/**
 * Saves a CSV export. Tokens travel only in the Authorization header (SECURITY.md), so a plain
 * link cannot fetch it: the file is fetched with the session's token and handed to the browser
 * as a download. An error answer is the usual JSON envelope, thrown as an ApiError.
 */
export async function downloadCsv(path: string, query: Query, filename: string): Promise<void> {
  const auth = authHeader();
  let res: Response;
  try {
    res = await fetch(url(path, query), { headers: { accept: 'text/csv', ...auth } });
  } catch {
    throw new ApiError(
      0,
      'NETWORK_ERROR',
      'The server cannot be reached. Check your connection and try again.',
    );
  }
  if (!res.ok) {
    const json: unknown = await res.json().catch(() => null);
    unwrap(res.status, json, res.headers.get('x-request-id'), {
      authenticated: 'authorization' in auth,
    });
  }
  const href = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The click has handed the blob to the download by the next task.
  setTimeout(() => URL.revokeObjectURL(href), 0);
}

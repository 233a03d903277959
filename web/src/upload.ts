import { ApiError, authHeader, type Query, unwrap, url } from './api.js';

export interface UploadProgress {
  sent: number;
  total: number;
}

/**
 * POSTs a file as text/csv through XMLHttpRequest rather than fetch: only XHR reports how much
 * of the body has gone, which a spreadsheet of a million rows makes worth showing.
 */
export function uploadCsv<T>(
  path: string,
  query: Query,
  file: Blob,
  onProgress: (p: UploadProgress) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url(path, query));
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('content-type', 'text/csv; charset=utf-8');
    const auth = authHeader();
    for (const [k, v] of Object.entries(auth)) xhr.setRequestHeader(k, v);
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (e) =>
      onProgress({ sent: e.loaded, total: e.lengthComputable ? e.total : file.size }),
    );
    xhr.addEventListener('error', () =>
      reject(
        new ApiError(
          0,
          'NETWORK_ERROR',
          'The server cannot be reached. Check your connection and try again.',
        ),
      ),
    );
    xhr.addEventListener('load', () => {
      let json: unknown;
      try {
        json = JSON.parse(xhr.responseText);
      } catch {
        reject(new ApiError(xhr.status, 'HTTP_ERROR', `The server answered HTTP ${xhr.status}.`));
        return;
      }
      try {
        resolve(
          unwrap<T>(xhr.status, json, xhr.getResponseHeader('x-request-id'), {
            authenticated: 'authorization' in auth,
          }),
        );
      } catch (err) {
        reject(err);
      }
    });
    xhr.send(file);
  });
}

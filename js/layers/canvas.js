// Pictures for map libraries that take an image element, a canvas or a URL (DOM only).

/** `image` (an ImageData or `{ data, width, height }`) on a new canvas. */
export function toCanvas(image) {
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const data = typeof ImageData !== 'undefined' && image instanceof ImageData ? image : new ImageData(image.data, image.width, image.height);
  canvas.getContext('2d').putImageData(data, 0, 0);
  return canvas;
}

/** `image` as a `data:` PNG URL (a layer of a few hundred cells a side: a few kB). */
export const toDataUrl = (image) => toCanvas(image).toDataURL('image/png');

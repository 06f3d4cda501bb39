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

/** `image` encoded as PNG bytes (an ArrayBuffer), for map libraries that load tiles as files. */
export async function toPngBytes(image) {
  const data = typeof ImageData !== 'undefined' && image instanceof ImageData ? image : new ImageData(image.data, image.width, image.height);
  const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(image.width, image.height) : toCanvas(image);
  canvas.getContext('2d').putImageData(data, 0, 0);
  const blob = canvas.convertToBlob ? await canvas.convertToBlob({ type: 'image/png' }) : await new Promise((r) => canvas.toBlob(r, 'image/png'));
  return blob.arrayBuffer();
}

/** Draws `image` on `canvas` (resized to it), e.g. a tile's canvas as the tile sharpens. */
export function drawOn(canvas, image) {
  if (canvas.width !== image.width) canvas.width = image.width;
  if (canvas.height !== image.height) canvas.height = image.height;
  const data = typeof ImageData !== 'undefined' && image instanceof ImageData ? image : new ImageData(image.data, image.width, image.height);
  canvas.getContext('2d').putImageData(data, 0, 0);
}

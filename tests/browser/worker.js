// Loads a model and embeds in a module Web Worker: the package must work off the main thread.
import { GeoRange } from '/pkg/georange.js';

self.onmessage = async ({ data }) => {
  try {
    const model = await GeoRange.load({ encoder: data.encoder, bank: data.bank, device: data.device });
    const out = await model.embed(Float64Array.from(data.points), { model: data.model, beta: data.beta });
    self.postMessage({ backend: model.backend, out: Array.from(out) });
  } catch (e) {
    self.postMessage({ error: String(e?.message ?? e) });
  }
};

// A layer that follows the map: each refresh cancels the embedding still running for the
// previous view and shows only the latest. The adapters give it `view` (the map's bounds and
// pixel size now) and `show` (put a picture on the map).

import { embedGrid, pcaImage, similarityImage, worldBasis } from './index.js';
import { withVariant } from '../options.js';

/**
 * @param {import('./index.js').LiveLayerOptions & {
 *   view: () => { bounds: number[], size: number[], projection?: 'mercator'|'lonlat' },
 *   show: (picture: import('./index.js').Picture) => void,
 *   detach?: () => void }} options `detach` takes the layer off its map (`remove`)
 */
export function liveLayer({ view, show, detach = () => {}, ...options }) {
  const settings = { mode: 'pca', basis: 'view', cellSize: 8, compute: 'exact', ...withVariant(options, 'liveLayer') };
  let controller = null;
  let worldBases = new Map();
  let last = null;

  /** The PCA basis to colour with: fitted on this view, on the world (cached), or given. */
  async function basisFor(signal) {
    if (settings.basis === 'view') return undefined;
    if (settings.basis !== 'world') return settings.basis;
    const key = `${settings.variant}/${settings.beta}`;
    if (!worldBases.has(key)) worldBases.set(key, await worldBasis(settings.geoRange, { variant: settings.variant, beta: settings.beta, signal }));
    return worldBases.get(key);
  }

  async function refresh() {
    controller?.abort();
    const own = (controller = new AbortController());
    const { signal } = own;
    try {
      const grid = await embedGrid(settings.geoRange, { ...settings, ...view(), signal });
      const similar = settings.mode === 'similarity' && settings.reference;
      const picture = similar ? similarityImage(grid, settings.reference, settings) : pcaImage(grid, { basis: await basisFor(signal) });
      if (signal.aborted) return null;
      last = { grid, mode: similar ? 'similarity' : 'pca', ...picture };
      show(last);
      settings.onRender?.(last);
      return last;
    } catch (e) {
      if (e?.code === 'aborted') return null;
      if (settings.onError) settings.onError(e);
      else throw e;
      return null;
    } finally {
      if (controller === own) controller = null;
    }
  }

  return {
    /** Embeds the map's view now (cancelling one still running); resolves to what it showed,
     * or null when a later refresh cancelled it. */
    refresh,
    /** Changes options (`mode`, `reference`, `variant`, `beta`, `cellSize`, `basis`…) and refreshes. */
    update(changes) {
      const named = withVariant(changes, 'layer.update');
      if ('variant' in named || 'beta' in named) worldBases = new Map();
      Object.assign(settings, named);
      return refresh();
    },
    /** `refresh` for map events: an error goes to `onError`, else to the console. */
    auto() { refresh().catch((e) => console.error('georange layer:', e)); },
    /** Stops the embedding running, if any. */
    cancel() { controller?.abort(); },
    /** Cancels, stops following the view and takes the layer off the map. */
    remove() { controller?.abort(); detach(); },
    /** What the layer shows now (grid, image, basis or scores and legend), or null. */
    get current() { return last; },
    /** Whether an embedding is running. */
    get busy() { return controller !== null; },
  };
}

// CSV as georange reads it (labelsFromCsv, embedFile): RFC 4180 fields and the columns a file
// names for longitude, latitude and a label, found by the caller's names or the usual ones.
import { GeoRangeError } from './errors.js';

/** The fields of one CSV line (RFC 4180: commas, double quotes, "" for a quote inside), trimmed. */
export function csvFields(line) {
  const out = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(field); field = ''; } else field += c;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

/** The usual names of each column, lower case. */
export const USUAL = {
  lon: ['lon', 'lng', 'long', 'longitude', 'x'],
  lat: ['lat', 'latitude', 'y'],
  label: ['label', 'class', 'value', 'name'],
};

/**
 * The index in `head` of the column `given` names, or else of the first usual name of `what`
 * (any case); a missing one throws `invalid_argument` naming it (`column`).
 */
export function columnOf(head, given, what, caller) {
  const lower = head.map((h) => h.toLowerCase());
  const i = given !== undefined ? head.indexOf(given) : lower.findIndex((h) => USUAL[what].includes(h));
  if (i < 0) throw new GeoRangeError(`${caller}: no ${given !== undefined ? JSON.stringify(given) : what} column among ${JSON.stringify(head)}; name it (option ${what})`, 'invalid_argument', { column: what });
  return i;
}

//! Reading query points from a CSV.

use std::path::Path;

use georange::error::read_file;
use georange::{Error, Result};

/// Reads (lon, lat) pairs from a CSV whose header names `lon` and `lat`.
pub fn read_points(path: &Path) -> Result<Vec<f64>> {
    let what = path.display().to_string();
    let bytes = read_file(path)?;
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(&bytes[..]);
    let headers = rdr.headers().map_err(|e| Error::format(&what, e))?.clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let (lon, lat) = match (col(&["lon", "longitude", "lng"]), col(&["lat", "latitude"])) {
        (Some(lon), Some(lat)) => (lon, lat),
        _ => {
            return Err(Error::format(
                &what,
                format!(
                    "the header must name lon and lat columns, found {:?}",
                    headers.iter().collect::<Vec<_>>()
                ),
            ));
        }
    };
    let mut points = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| Error::format(&what, e))?;
        for c in [lon, lat] {
            let cell = rec.get(c).unwrap_or("");
            let v: f64 = cell.parse().map_err(|_| {
                Error::format(
                    &what,
                    format!("data row {} (line {}): {:?} is not a number", i + 1, i + 2, cell),
                )
            })?;
            points.push(v);
        }
    }
    if points.is_empty() {
        return Err(Error::format(&what, "no data rows: nothing to embed"));
    }
    Ok(points)
}

/// Names the CSV line of a bad point: turns [`Error::Coordinate`] (a row of the points) into
/// an error naming `path`, the data row and the file line; other errors pass through.
pub fn at_line(path: &Path) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::Coordinate { row, reason } => Error::Invalid(format!(
            "{}: data row {} (line {}): {reason}",
            path.display(),
            row + 1,
            row + 2
        )),
        other => other,
    }
}

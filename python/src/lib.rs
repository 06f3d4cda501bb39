//! The Python binding: the `georange._georange` extension module, which maturin builds into
//! the `georange` wheel (its Python side: `python/georange/`). Thin, as `src/wasm.rs` is for
//! JavaScript: it takes files (paths or bytes) and NumPy arrays, calls the engine with the GIL
//! released and its threads bounded, and turns `georange::Error` into the exceptions of
//! `georange.errors`, which carry the same `code` (and `row`) as the JS errors.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use georange::model::LoadOptions;
use georange::probe::cv::{CvOptions, cross_validate};
use georange::probe::{FitOptions, Labels, Origin, Prediction, Probe};
use georange::{Bank, Compare, Compute, Encoder, Error, Model, Variant};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};

/// `e` as the `georange.errors` exception of its code, with `code` and `row` set.
fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let raise = || -> PyResult<PyErr> {
        let class = py.import("georange.errors")?.getattr("BY_CODE")?.get_item(e.code())?;
        let exc = class.call1((e.to_string(), e.code(), e.row()))?;
        Ok(PyErr::from_value(exc))
    };
    raise().unwrap_or_else(|failed| PyRuntimeError::new_err(format!("{e} (and georange.errors failed: {failed})")))
}

/// A file given as bytes (`bytes`, `bytearray`) or as a path (`str`, `os.PathLike`).
fn file_bytes(source: &Bound<'_, PyAny>) -> PyResult<Result<Vec<u8>, Error>> {
    if let Ok(b) = source.cast::<PyBytes>() {
        return Ok(Ok(b.as_bytes().to_vec()));
    }
    if let Ok(b) = source.cast::<PyByteArray>() {
        return Ok(Ok(b.to_vec()));
    }
    let path: PathBuf = source.extract()?;
    Ok(georange::error::read_file(&path))
}

/// The rayon pool a model's calls run in, made in the process that uses it: a pool's
/// threads do not survive `os.fork`, so a child gets a new one.
struct Pool {
    pid: u32,
    pool: Arc<rayon::ThreadPool>,
}

/// A loaded model: an encoder and, optionally, a bank.
#[pyclass(module = "georange._georange", frozen)]
struct Engine {
    model: Mutex<Model>,
    threads: usize,
    pool: Mutex<Option<Pool>>,
    notes: Vec<String>,
    backend: &'static str,
}

impl Engine {
    /// This process's pool of `threads` threads.
    fn pool(&self) -> Result<Arc<rayon::ThreadPool>, Error> {
        let mut slot = self
            .pool
            .lock()
            .map_err(|_| Error::Backend("a georange call panicked earlier".into()))?;
        let pid = std::process::id();
        match &*slot {
            Some(p) if p.pid == pid => Ok(p.pool.clone()),
            _ => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(self.threads)
                    .thread_name(|i| format!("georange-{i}"))
                    .build()
                    .map_err(|e| Error::Backend(format!("cannot start {} threads: {e}", self.threads)))?;
                let pool = Arc::new(pool);
                *slot = Some(Pool {
                    pid,
                    pool: pool.clone(),
                });
                Ok(pool)
            }
        }
    }

    /// `width(model, variant)` for the variant named `name`.
    fn width(&self, py: Python<'_>, name: &str, width: fn(&Model, Variant) -> usize) -> PyResult<usize> {
        let variant = Variant::parse(name, 0.5).map_err(|e| to_py(py, e))?;
        let m = self
            .model
            .lock()
            .map_err(|_| PyRuntimeError::new_err("a georange call panicked earlier"))?;
        Ok(width(&m, variant))
    }

    /// `f(model)` in this model's pool, bounded to its threads, with the GIL released.
    fn run<R: Send>(&self, py: Python<'_>, f: impl FnOnce(&Model) -> Result<R, Error> + Send) -> PyResult<R> {
        let threads = self.threads;
        py.detach(|| {
            let pool = self.pool()?;
            let model = self
                .model
                .lock()
                .map_err(|_| Error::Backend("a georange call panicked earlier".into()))?;
            pool.install(|| georange::with_threads(threads, || f(&model)))
        })
        .map_err(|e| to_py(py, e))
    }
}

#[pymethods]
impl Engine {
    /// Loads `encoder` and `bank` (paths or bytes) on `device` ("cpu", "webgpu" (also "wgpu")
    /// or "auto"); `encoder_pin`/`bank_pin`: refuse a file whose content hash is not this
    /// (`integrity`).
    #[new]
    #[pyo3(signature = (encoder, bank=None, device="cpu", threads=None, geo_cutoff_deg=None, encoder_pin=None, bank_pin=None))]
    #[allow(clippy::too_many_arguments)] // the keyword arguments of Model()
    fn new(
        py: Python<'_>,
        encoder: &Bound<'_, PyAny>,
        bank: Option<&Bound<'_, PyAny>>,
        device: &str,
        threads: Option<usize>,
        geo_cutoff_deg: Option<f64>,
        encoder_pin: Option<String>,
        bank_pin: Option<String>,
    ) -> PyResult<Self> {
        let encoder = file_bytes(encoder)?;
        let bank = bank.map(file_bytes).transpose()?;
        let threads = match threads {
            Some(0) => return Err(to_py(py, Error::Invalid("threads must be at least 1".into()))),
            Some(t) => t,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let device = device.to_string();
        let loaded = py
            .detach(move || {
                let options = LoadOptions {
                    geo_cutoff_deg,
                    strict: true,
                    ..LoadOptions::default()
                }
                .with_device(&device)?;
                let encoder = encoder?;
                if let Some(pin) = &encoder_pin {
                    georange::format::check_pin(&encoder, "encoder", georange::format::ENCODER_FORMAT, pin)?;
                }
                let encoder = Encoder::from_bytes(&encoder, "encoder")?;
                let bank = bank.transpose()?;
                if let (Some(pin), Some(b)) = (&bank_pin, &bank) {
                    georange::format::check_pin(b, "bank", georange::format::BANK_FORMAT, pin)?;
                }
                let bank = bank.map(|b| Bank::from_owned_bytes(b, "bank")).transpose()?;
                Model::load(encoder, bank, &options)
            })
            .map_err(|e| to_py(py, e))?;
        Ok(Engine {
            model: Mutex::new(loaded.model),
            threads,
            pool: Mutex::new(None),
            notes: loaded.notes,
            backend: loaded.backend.name(),
        })
    }

    /// `(N, 2)` float64 [lon, lat] degrees → `(N, dim(variant))` float32, in batches of
    /// `batch` points (the core cuts them; an error names the caller's row), calling
    /// `progress(done)` after each.
    #[pyo3(signature = (lonlat, variant, beta=0.5, batch=8192, progress=None, compute="exact"))]
    #[allow(clippy::too_many_arguments)] // Python's keywords, one each
    fn embed<'py>(
        &self,
        py: Python<'py>,
        lonlat: PyReadonlyArray2<'py, f64>,
        variant: &str,
        beta: f32,
        batch: usize,
        progress: Option<Py<PyAny>>,
        compute: &str,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let variant = Variant::parse(variant, beta).map_err(|e| to_py(py, e))?;
        let compute = Compute::parse(compute).map_err(|e| to_py(py, e))?;
        if batch == 0 {
            return Err(to_py(py, Error::Invalid("batch_size must be at least 1".into())));
        }
        let view = lonlat.as_array();
        let (rows, cols) = view.dim();
        if cols != 2 {
            return Err(to_py(
                py,
                Error::Invalid(format!("lonlat must have shape (N, 2), got ({rows}, {cols})")),
            ));
        }
        let points = view.iter().copied().collect::<Vec<f64>>();
        // The first exception the callback raised, raised once the call is done.
        let mut raised: Option<PyErr> = None;
        let (out, dim) = self.run(py, |m| {
            let dim = m.dim(variant);
            let mut report = |done: usize| {
                if let (Some(f), None) = (&progress, &raised) {
                    raised = Python::attach(|py| f.call1(py, (done,)).err());
                }
            };
            Ok((m.embed_with(&points, variant, (batch, compute), &mut report)?, dim))
        })?;
        if let Some(e) = raised {
            return Err(e);
        }
        let rows = Array2::from_shape_vec((rows, dim), out).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok(rows.into_pyarray(py))
    }

    /// Output width of `variant`: "encoder", "range" or "range+".
    fn dim(&self, py: Python<'_>, variant: &str) -> PyResult<usize> {
        self.width(py, variant, Model::dim)
    }

    /// Width of the high-resolution part of `variant`'s rows (their first columns).
    fn high_dim(&self, py: Python<'_>, variant: &str) -> PyResult<usize> {
        self.width(py, variant, Model::high_dim)
    }

    /// The `k` bank rows that weigh most in a point's embedding: (row, weight, lon, lat).
    #[pyo3(signature = (lon, lat, k=10, variant="range+", beta=0.5))]
    fn explain(
        &self,
        py: Python<'_>,
        lon: f64,
        lat: f64,
        k: usize,
        variant: &str,
        beta: f32,
    ) -> PyResult<Vec<(usize, f32, f32, f32)>> {
        let variant = Variant::parse(variant, beta).map_err(|e| to_py(py, e))?;
        let rows = self.run(py, |m| m.explain(lon, lat, variant, k))?;
        Ok(rows.into_iter().map(|c| (c.row, c.weight, c.lon, c.lat)).collect())
    }

    /// "Places like this": the `k` bank rows most alike to `query` (cosine similarity) by their
    /// `by` ("values" or "keys"), most alike first: (row, similarity, lon, lat).
    #[pyo3(signature = (query, by="values", k=10))]
    fn rank_bank<'py>(
        &self,
        py: Python<'py>,
        query: PyReadonlyArray1<'py, f32>,
        by: &str,
        k: usize,
    ) -> PyResult<Vec<(usize, f32, f32, f32)>> {
        let by = Compare::parse(by).map_err(|e| to_py(py, e))?;
        let query = query.as_slice()?.to_vec();
        let rows = self.run(py, |m| m.similar_rows(&query, by, k))?;
        Ok(rows.into_iter().map(|s| (s.row, s.similarity, s.lon, s.lat)).collect())
    }

    /// Where the model runs: "cpu" or "webgpu".
    #[getter]
    fn backend(&self) -> &'static str {
        self.backend
    }

    /// Why `backend` differs from the device asked for ('' if it does not).
    #[getter]
    fn note(&self) -> String {
        self.notes.join("; ")
    }

    /// How many threads its calls use.
    #[getter]
    fn threads(&self) -> usize {
        self.threads
    }

    /// What a probe fitted on this model records of it (`Model::identity`).
    #[getter]
    fn identity(&self, py: Python<'_>) -> PyResult<String> {
        self.run(py, |m| Ok(m.identity().to_string()))
    }
}

/// `(N, dim)` float32 rows as one slice and their width.
fn rows_of(x: &PyReadonlyArray2<'_, f32>) -> PyResult<(Vec<f32>, usize)> {
    Ok((x.as_array().iter().copied().collect(), x.as_array().dim().1))
}

/// `(class indices, (N, classes) probabilities)`, or `(None, (N, 1) values)`.
type Predicted<'py> = (Option<Vec<usize>>, Bound<'py, PyArray2<f64>>);
/// `(metric, the two scores' names, (train, test, score1, score2) per fold)`.
type CvRows = (String, [String; 2], Vec<(usize, usize, f64, f64)>);

/// A fitted probe (`georange::probe`); `georange.Probe` embeds the points and hands the rows here.
#[pyclass(module = "georange._georange", frozen)]
struct ProbeCore {
    inner: Probe,
}

#[pymethods]
impl ProbeCore {
    /// Fits a probe on `embeddings` (N, dim) with `classes` or `values`.
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (embeddings, classes, values, kind, method, c, alpha, k, standardize, model, variant, beta))]
    fn fit(
        py: Python<'_>,
        embeddings: PyReadonlyArray2<'_, f32>,
        classes: Option<Vec<String>>,
        values: Option<Vec<f64>>,
        kind: &str,
        method: Option<&str>,
        c: f64,
        alpha: f64,
        k: usize,
        standardize: bool,
        model: String,
        variant: String,
        beta: f32,
    ) -> PyResult<Self> {
        let (x, dim) = rows_of(&embeddings)?;
        let fitted = FitOptions::parse(kind, method, (c, alpha), k, standardize).and_then(|options| {
            let labels = Labels::from_parts(classes, values)?;
            Probe::fit(&x, dim, &labels, &options, Origin { model, variant, beta })
        });
        Ok(ProbeCore {
            inner: fitted.map_err(|e| to_py(py, e))?,
        })
    }

    /// A probe from `to_json()`'s text, for the model whose identity is `model`.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str, model: &str) -> PyResult<Self> {
        Ok(ProbeCore {
            inner: Probe::from_json(text, model).map_err(|e| to_py(py, e))?,
        })
    }

    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.to_json().map_err(|e| to_py(py, e))
    }

    /// `(labels, probabilities)` (class indices, (N, classes)) or `(None, values)`.
    fn predict<'py>(&self, py: Python<'py>, embeddings: PyReadonlyArray2<'py, f32>) -> PyResult<Predicted<'py>> {
        let (x, _) = rows_of(&embeddings)?;
        let rows = x.len() / self.inner.dim.max(1);
        match self.inner.predict(&x).map_err(|e| to_py(py, e))? {
            Prediction::Classes { labels, probabilities } => {
                let k = self.inner.classes.len();
                let p = Array2::from_shape_vec((rows, k), probabilities)
                    .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
                Ok((Some(labels), p.into_pyarray(py)))
            }
            Prediction::Values(v) => {
                let p = Array2::from_shape_vec((rows, 1), v).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
                Ok((None, p.into_pyarray(py)))
            }
        }
    }

    /// Spatial block cross-validation with this probe's options: `(metric, names, folds)`,
    /// each fold `(train, test, score1, score2)`.
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (lonlat, embeddings, classes, values, block_degrees, folds, seed))]
    fn cross_validate(
        &self,
        py: Python<'_>,
        lonlat: PyReadonlyArray2<'_, f64>,
        embeddings: PyReadonlyArray2<'_, f32>,
        classes: Option<Vec<String>>,
        values: Option<Vec<f64>>,
        block_degrees: f64,
        folds: usize,
        seed: u64,
    ) -> PyResult<CvRows> {
        let points: Vec<f64> = lonlat.as_array().iter().copied().collect();
        let (x, dim) = rows_of(&embeddings)?;
        let report = Labels::from_parts(classes, values)
            .and_then(|labels| {
                cross_validate(
                    &points,
                    (&x, dim),
                    &labels,
                    &self.inner.options,
                    &CvOptions {
                        block_degrees,
                        folds,
                        seed,
                    },
                )
            })
            .map_err(|e| to_py(py, e))?;
        let folds = report
            .folds
            .iter()
            .map(|f| (f.train, f.test, f.scores[0], f.scores[1]))
            .collect();
        Ok((report.metric.into(), report.names.map(String::from), folds))
    }

    #[getter]
    fn classes(&self) -> Vec<String> {
        self.inner.classes.clone()
    }

    #[getter]
    fn kind(&self) -> String {
        self.inner.options.kind.name().into()
    }

    #[getter]
    fn method(&self) -> String {
        self.inner.options.method.name().into()
    }

    #[getter]
    fn variant(&self) -> String {
        self.inner.origin.variant.clone()
    }

    #[getter]
    fn beta(&self) -> f32 {
        self.inner.origin.beta
    }
}

/// `count` points `(count, 2)` spread by area over a polygon (`geo::polygon`): `rings` each a
/// closed ring of (lon, lat), the outer one first; the same points for the same `seed`.
#[pyfunction]
fn sample_polygon<'py>(
    py: Python<'py>,
    rings: Vec<Vec<[f64; 2]>>,
    count: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let flat: Vec<Vec<f64>> = rings.iter().map(|r| r.iter().flatten().copied().collect()).collect();
    let points = georange::geo::polygon::sample_polygon(&flat, count, seed).map_err(|e| to_py(py, e))?;
    let rows = Array2::from_shape_vec((count, 2), points).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok(rows.into_pyarray(py))
}

/// A float GeoTIFF in EPSG:4326 written to `path` as its rows come (`export::geotiff`: the
/// header first, then `write`'s rows in order; memory is a window's), for `georange.raster`.
#[pyclass]
struct GeoTiffWriter {
    file: Option<std::io::BufWriter<std::fs::File>>,
    path: PathBuf,
    width: usize,
    bands: usize,
    rows_left: usize,
}

#[pymethods]
impl GeoTiffWriter {
    /// `width × height` pixels of `bands` float32 samples, the north-west corner at (`west`,
    /// `north`) degrees, pixels `cell` degrees square; `metadata` (name, value) pairs.
    #[new]
    #[pyo3(signature = (path, width, height, bands, west, north, cell, metadata))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        width: usize,
        height: usize,
        bands: usize,
        west: f64,
        north: f64,
        cell: f64,
        metadata: Vec<(String, String)>,
    ) -> PyResult<Self> {
        use georange::export::geotiff::{Crs, RasterSpec, SampleKind};
        use std::io::Write;
        let spec = RasterSpec {
            width,
            height,
            bands,
            kind: SampleKind::F32,
            crs: Crs::LonLat,
            origin: (west, north),
            pixel: (cell, cell),
            nodata: Some("nan".into()),
            metadata,
        };
        let header = spec.header().map_err(|e| to_py(py, e))?;
        let mut file = std::fs::File::create(&path)
            .map(std::io::BufWriter::new)
            .map_err(|e| to_py(py, Error::io(&path, e)))?;
        file.write_all(&header).map_err(|e| to_py(py, Error::io(&path, e)))?;
        Ok(GeoTiffWriter {
            file: Some(file),
            path,
            width,
            bands,
            rows_left: height,
        })
    }

    /// The next rows: `(rows × width, bands)` float32, row by row from the north.
    fn write(&mut self, py: Python<'_>, rows: PyReadonlyArray2<'_, f32>) -> PyResult<()> {
        use std::io::Write;
        let a = rows.as_array();
        let (n, bands) = a.dim();
        if bands != self.bands || n % self.width != 0 || n / self.width > self.rows_left {
            return Err(to_py(
                py,
                Error::Mismatch(format!(
                    "GeoTIFF: {n} pixels of {bands} bands, for rows of {} pixels of {} bands ({} rows left)",
                    self.width, self.bands, self.rows_left
                )),
            ));
        }
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| to_py(py, Error::Invalid("GeoTIFF: the file is closed".into())))?;
        let bytes: Vec<u8> = a.iter().flat_map(|v| v.to_le_bytes()).collect();
        file.write_all(&bytes)
            .map_err(|e| to_py(py, Error::io(&self.path, e)))?;
        self.rows_left -= n / self.width;
        Ok(())
    }

    /// Flushes and closes the file; refuses (and leaves it short) if rows are missing.
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        use std::io::Write;
        if let Some(mut file) = self.file.take() {
            file.flush().map_err(|e| to_py(py, Error::io(&self.path, e)))?;
        }
        if self.rows_left > 0 {
            return Err(to_py(
                py,
                Error::Invalid(format!("GeoTIFF: closed with {} rows not written", self.rows_left)),
            ));
        }
        Ok(())
    }
}

/// The error codes the engine's errors carry (the same as the JS package's).
#[pyfunction]
fn error_codes() -> Vec<&'static str> {
    Error::CODES.to_vec()
}

#[pymodule]
fn _georange(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Engine>()?;
    m.add_class::<ProbeCore>()?;
    m.add_class::<GeoTiffWriter>()?;
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(sample_polygon, m)?)?;
    // The workspace's version (Cargo.toml): `georange.__version__`.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

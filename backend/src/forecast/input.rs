//! Problems with a forecast's inputs, and the reading of its CSV inputs. Pure.
//!
//! Every problem names the input it is about (a field, or a CSV row and column), so the
//! service turns them into field errors and the command line prints them as they are.

/// One thing wrong with an input.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem { field: field.into(), message: message.into() }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Problems collected while checking an input, so every one is reported at once.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem::new(field, message));
    }

    /// Checks that `v` is a finite number in `lo..=hi`.
    pub fn range(&mut self, field: &str, v: f64, lo: f64, hi: f64) -> bool {
        if !v.is_finite() || v < lo || v > hi {
            self.add(field, format!("must be a number from {lo} to {hi} (got {v})"));
            false
        } else {
            true
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result<T>(self, ok: T) -> Result<T, Vec<Problem>> {
        if self.0.is_empty() { Ok(ok) } else { Err(self.0) }
    }
}

/// Largest CSV input read (rows), so a pasted file cannot ask for unbounded work.
pub const MAX_CSV_ROWS: usize = 2000;

/// A CSV text read as a header and rows of numbers, by named columns. `input` names the
/// input in problems (`pom_csv`); rows are counted from 1 after the header, as a
/// spreadsheet shows them counting the header as row 1: "row 3" is the third line.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads `text` (comma-separated, a header line first; blank lines and lines starting
    /// with `#` are skipped).
    pub fn read(input: &str, text: &str) -> Result<Table, Vec<Problem>> {
        let body: String = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let mut rdr = csv::ReaderBuilder::new().has_headers(true).trim(csv::Trim::All).from_reader(body.as_bytes());
        let header: Vec<String> = match rdr.headers() {
            Ok(h) => h.iter().map(|c| c.to_ascii_lowercase()).collect(),
            Err(e) => return Err(vec![Problem::new(input, format!("cannot read the header line: {e}"))]),
        };
        if header.iter().all(String::is_empty) {
            return Err(vec![Problem::new(input, "is empty: give a header line and one row per line")]);
        }
        let mut rows = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            match rec {
                Ok(r) => rows.push(r.iter().map(str::to_owned).collect()),
                Err(e) => return Err(vec![Problem::new(input, format!("row {line}: {e}"))]),
            }
            if rows.len() > MAX_CSV_ROWS {
                return Err(vec![Problem::new(input, format!("has more than {MAX_CSV_ROWS} rows"))]);
            }
        }
        if rows.is_empty() {
            return Err(vec![Problem::new(input, "has a header line but no rows")]);
        }
        Ok(Table { header, rows })
    }

    /// The positions of `names` in the header; every missing one is a problem.
    pub fn columns(&self, input: &str, names: &[&str]) -> Result<Vec<usize>, Vec<Problem>> {
        let mut p = Problems::default();
        let mut out = Vec::with_capacity(names.len());
        for n in names {
            match self.header.iter().position(|h| h == n) {
                Some(i) => out.push(i),
                None => p.add(input, format!("has no column `{n}` (the header must name: {})", names.join(", "))),
            }
        }
        p.into_result(out)
    }

    /// The number in row `r` (0-based among the data rows), column `c` named `name`.
    pub fn number(&self, input: &str, r: usize, c: usize, name: &str, p: &mut Problems) -> f64 {
        let cell = self.rows[r].get(c).map(String::as_str).unwrap_or("");
        match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                p.add(input, format!("row {}, column `{name}`: `{cell}` is not a number", r + 2));
                f64::NAN
            }
        }
    }

    /// The text in row `r`, column `c`.
    pub fn text(&self, r: usize, c: usize) -> &str {
        self.rows[r].get(c).map(String::as_str).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_names_missing_columns_and_bad_cells_by_row() {
        let t = Table::read("pom_csv", "year,mass_t\n2020,1.5\n\n# note\n2021,x\n").unwrap();
        assert_eq!(t.rows.len(), 2);
        let cols = t.columns("pom_csv", &["year", "mass_t"]).unwrap();
        let mut p = Problems::default();
        assert_eq!(t.number("pom_csv", 0, cols[1], "mass_t", &mut p), 1.5);
        assert!(t.number("pom_csv", 1, cols[1], "mass_t", &mut p).is_nan());
        assert_eq!(p.0[0].message, "row 3, column `mass_t`: `x` is not a number");
        let e = t.columns("pom_csv", &["year", "units"]).unwrap_err();
        assert!(e[0].message.starts_with("has no column `units`"), "{}", e[0].message);
        assert!(Table::read("pom_csv", "year,mass_t\n").is_err());
        assert!(Table::read("pom_csv", "").is_err());
    }
}

//! Lifespan kernels: the law of the age at which an item leaves use. Pure.
//!
//! - [`Weibull`]: F(t) = 1 − exp(−(t/β)^α), with shape α and scale β in years. Its yearly
//!   discard fraction follows the UNU convention of the EU WEEE Calculation Tool: what is
//!   placed on the market during year t is discarded in year t + k with the fraction
//!   w(k) = f(k + 0.5), the density half a year into the k-th year of age (sales are
//!   spread over the year, so the average item of a year's sales is half a year old at
//!   the end of it).
//! - [`Tabulated`]: a discrete kernel, entry j being the share that leaves use (j + 1)
//!   steps after it was installed (the generative-AI server kernel is quarterly: step ¼
//!   year). Its CDF is a step function.
//!
//! A kernel may be shifted by a number of years (a longer life): F_d(t) = F(t − d).

use std::sync::Arc;

use super::input::{Problem, Problems};

/// Days in a year, for ages: an age in years is days ÷ 365.25.
pub const DAYS_PER_YEAR: f64 = 365.25;

/// A Weibull lifespan law.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weibull {
    pub shape: f64,
    pub scale: f64,
}

/// Bounds a Weibull kernel's parameters must keep (a shape above 20 is a step, a scale
/// above 100 years is not a lifespan).
pub const SHAPE_MAX: f64 = 20.0;
pub const SCALE_MAX: f64 = 100.0;

impl Weibull {
    /// Checks the parameters; `field` prefixes the names in problems (`kernel.`).
    pub fn new(shape: f64, scale: f64, field: &str) -> Result<Weibull, Vec<Problem>> {
        let mut p = Problems::default();
        if !(shape.is_finite() && shape > 0.0 && shape <= SHAPE_MAX) {
            p.add(format!("{field}shape"), format!("must be greater than 0 and at most {SHAPE_MAX} (got {shape})"));
        }
        if !(scale.is_finite() && scale > 0.0 && scale <= SCALE_MAX) {
            p.add(
                format!("{field}scale"),
                format!("must be greater than 0 and at most {SCALE_MAX} years (got {scale})"),
            );
        }
        p.into_result(Weibull { shape, scale })
    }

    /// P(T ≤ t).
    pub fn cdf(&self, t: f64) -> f64 {
        if t <= 0.0 { 0.0 } else { -(-(t / self.scale).powf(self.shape)).exp_m1() }
    }

    /// P(T > t).
    pub fn survival(&self, t: f64) -> f64 {
        if t <= 0.0 { 1.0 } else { (-(t / self.scale).powf(self.shape)).exp() }
    }

    /// The density at age `t`.
    pub fn pdf(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let z = t / self.scale;
        self.shape / self.scale * z.powf(self.shape - 1.0) * (-z.powf(self.shape)).exp()
    }

    /// The mean lifespan, β·Γ(1 + 1/α).
    pub fn mean(&self) -> f64 {
        self.scale * libm::tgamma(1.0 + 1.0 / self.shape)
    }

    /// The UNU discard fraction of a year's sales in their k-th year (k = 0 the year of
    /// sale): the density at k + 0.5, shifted by `shift` years.
    pub fn discard(&self, k: u32, shift: f64) -> f64 {
        self.pdf(f64::from(k) + 0.5 - shift)
    }
}

/// A discrete kernel: entry j leaves use (j + 1) steps after installation.
#[derive(Clone, Debug, PartialEq)]
pub struct Tabulated {
    pub name: String,
    pub step_years: f64,
    pub probs: Vec<f64>,
    /// cum[k] = Σ_{j<k} probs[j]; cum[len] = 1.
    cum: Vec<f64>,
}

/// Largest tabulated kernel (entries).
pub const TABULATED_MAX: usize = 400;

impl Tabulated {
    /// Checks and normalises a kernel: entries non-negative, their sum within 1 ± 0.01
    /// (the rest is rounding in published tables, spread proportionally).
    pub fn new(name: &str, step_years: f64, probs: Vec<f64>, field: &str) -> Result<Tabulated, Vec<Problem>> {
        let mut p = Problems::default();
        if !(step_years.is_finite() && step_years > 0.0 && step_years <= 5.0) {
            p.add(format!("{field}step_years"), "must be greater than 0 and at most 5 years");
        }
        if probs.is_empty() || probs.len() > TABULATED_MAX {
            p.add(format!("{field}probabilities"), format!("must hold 1 to {TABULATED_MAX} entries"));
        }
        for (j, v) in probs.iter().enumerate() {
            if !(v.is_finite() && *v >= 0.0) {
                p.add(format!("{field}probabilities[{j}]"), format!("must be a share of 0 or more (got {v})"));
            }
        }
        let sum: f64 = probs.iter().sum();
        if p.is_empty() && (sum - 1.0).abs() > 0.01 {
            p.add(format!("{field}probabilities"), format!("must add up to 1 (they add up to {sum})"));
        }
        if !p.is_empty() {
            return Err(p.0);
        }
        let probs: Vec<f64> = probs.iter().map(|v| v / sum).collect();
        let mut cum = Vec::with_capacity(probs.len() + 1);
        let mut acc = 0.0;
        cum.push(0.0);
        for v in &probs {
            acc += v;
            cum.push(acc);
        }
        if let Some(last) = cum.last_mut() {
            *last = 1.0;
        }
        Ok(Tabulated { name: name.to_owned(), step_years, probs, cum })
    }

    /// P(T ≤ t): the entries whose age (j + 1)·step is at most `t`.
    pub fn cdf(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 0.0;
        }
        let k = (t / self.step_years + 1e-9).floor();
        let k = if k >= self.probs.len() as f64 { self.probs.len() } else { k as usize };
        self.cum[k]
    }

    /// The mean lifespan in years.
    pub fn mean(&self) -> f64 {
        self.probs.iter().enumerate().map(|(j, p)| (j as f64 + 1.0) * self.step_years * p).sum()
    }

    /// The share of a year's sales leaving use in their k-th year, sales placed at
    /// mid-year (as the Weibull convention): entry j leaves at age (j + 1)·step + shift,
    /// in year ⌊0.5 + age⌋ after the year of sale.
    pub fn discard(&self, k: u32, shift: f64) -> f64 {
        self.probs
            .iter()
            .enumerate()
            .filter(|(j, _)| {
                let year = (0.5 + (*j as f64 + 1.0) * self.step_years + shift + 1e-9).floor();
                year == f64::from(k)
            })
            .map(|(_, p)| p)
            .sum()
    }
}

/// A lifespan kernel of either form.
#[derive(Clone, Debug, PartialEq)]
pub enum Kernel {
    Weibull(Weibull),
    Tabulated(Arc<Tabulated>),
}

impl Kernel {
    pub fn cdf(&self, t: f64) -> f64 {
        match self {
            Kernel::Weibull(w) => w.cdf(t),
            Kernel::Tabulated(k) => k.cdf(t),
        }
    }

    pub fn survival(&self, t: f64) -> f64 {
        match self {
            Kernel::Weibull(w) => w.survival(t),
            Kernel::Tabulated(k) => 1.0 - k.cdf(t),
        }
    }

    pub fn mean(&self) -> f64 {
        match self {
            Kernel::Weibull(w) => w.mean(),
            Kernel::Tabulated(k) => k.mean(),
        }
    }

    /// A year's sales' discard fraction in their k-th year (see each form).
    pub fn discard(&self, k: u32, shift: f64) -> f64 {
        match self {
            Kernel::Weibull(w) => w.discard(k, shift),
            Kernel::Tabulated(t) => t.discard(k, shift),
        }
    }

    /// How the kernel is written in outputs: "Weibull α = 1.46, β = 7.78 years".
    pub fn describe(&self) -> String {
        match self {
            Kernel::Weibull(w) => format!("Weibull shape α = {}, scale β = {} years", sig(w.shape), sig(w.scale)),
            Kernel::Tabulated(t) => format!(
                "{} ({} entries of {} year(s); mean {:.2} years)",
                t.name,
                t.probs.len(),
                sig(t.step_years),
                t.mean()
            ),
        }
    }
}

/// A figure to four significant digits, without trailing zeros.
pub fn sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Simpson's rule over the density, independent of the closed-form CDF.
    fn integral(w: &Weibull, a: f64, b: f64) -> f64 {
        let n = 20_000;
        let h = (b - a) / n as f64;
        let mut s = w.pdf(a) + w.pdf(b);
        for i in 1..n {
            let x = a + h * i as f64;
            s += if i % 2 == 1 { 4.0 } else { 2.0 } * w.pdf(x);
        }
        s * h / 3.0
    }

    #[test]
    fn weibull_cdf_is_the_integral_of_its_density_and_known_values_hold() {
        // The UNU 0307 (professional IT) kernel.
        let w = Weibull::new(1.46, 7.78, "").unwrap();
        for t in [0.5, 1.0, 3.0, 7.78, 15.0] {
            assert!((w.cdf(t) - integral(&w, 1e-9, t)).abs() < 1e-6, "t = {t}");
        }
        // At t = β, F = 1 − e^−1 whatever the shape.
        assert!((w.cdf(7.78) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        // F(5) by hand: (5/7.78)^1.46 = exp(1.46 · ln 0.6426735) = exp(1.46 · −0.4421184) = exp(−0.6454929)
        // = 0.5244040; F = 1 − exp(−0.5244040) = 0.4080920.
        assert!((w.cdf(5.0) - 0.4080920).abs() < 2e-7, "{}", w.cdf(5.0));
        // The mean 7.05 years DOMAIN.md quotes for 0307: 7.78 · Γ(1 + 1/1.46) = 7.78 · Γ(1.684932).
        assert!((w.mean() - 7.05).abs() < 0.01, "{}", w.mean());
        assert_eq!(w.cdf(0.0), 0.0);
        assert_eq!(w.survival(-1.0), 1.0);
    }

    #[test]
    fn discard_fractions_are_the_density_half_a_year_in() {
        let w = Weibull::new(1.46, 7.78, "").unwrap();
        // w(0) = f(0.5) = (1.46/7.78)(0.5/7.78)^0.46 exp(−(0.5/7.78)^1.46), by hand:
        // 0.5/7.78 = 0.06426735; ^0.46 = exp(0.46 · ln 0.06426735) = exp(0.46 · −2.7447035) = 0.2829278;
        // ^1.46 = 0.06426735 · 0.2829278 = 0.01818302; f = (1.46/7.78 = 0.1876607) · 0.2829278 · exp(−0.01818302)
        // = 0.0521377.
        assert!((w.discard(0, 0.0) - 0.0521377).abs() < 2e-7, "{}", w.discard(0, 0.0));
        // Shifted by a year, year 1 takes what year 0 had.
        assert!((w.discard(1, 1.0) - w.discard(0, 0.0)).abs() < 1e-15);
        // Before the shift nothing is discarded.
        assert_eq!(w.discard(0, 1.0), 0.0);
        // Over a long run the fractions add up to about one (a midpoint rule).
        let total: f64 = (0..200).map(|k| w.discard(k, 0.0)).sum();
        assert!((total - 1.0).abs() < 0.01, "{total}");
    }

    #[test]
    fn bad_parameters_are_named() {
        let e = Weibull::new(0.0, -2.0, "kernel.").unwrap_err();
        assert_eq!(e.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["kernel.shape", "kernel.scale"]);
        assert!(e[0].message.contains("greater than 0"));
        assert!(Weibull::new(f64::NAN, 5.0, "").is_err());
        let e = Tabulated::new("t", 0.25, vec![0.5, -0.1, 0.6], "kernel.").unwrap_err();
        assert_eq!(e[0].field, "kernel.probabilities[1]");
        let e = Tabulated::new("t", 0.25, vec![0.5, 0.2], "kernel.").unwrap_err();
        assert!(e[0].message.contains("add up to 1"), "{}", e[0].message);
    }

    #[test]
    fn a_tabulated_kernel_steps_at_each_entry() {
        let k = Tabulated::new("t", 0.25, vec![0.1, 0.2, 0.3, 0.4], "").unwrap();
        assert_eq!(k.cdf(0.2), 0.0);
        assert!((k.cdf(0.25) - 0.1).abs() < 1e-12);
        assert!((k.cdf(0.74) - 0.3).abs() < 1e-12);
        assert!((k.cdf(1.0) - 1.0).abs() < 1e-12);
        assert_eq!(k.cdf(9.0), 1.0);
        // Mean: (1·0.1 + 2·0.2 + 3·0.3 + 4·0.4) quarters = 3 quarters.
        assert!((k.mean() - 0.75).abs() < 1e-12);
        // Sold mid-year, entry j leaves at 0.5 + (j+1)/4: 0.75, 1.0, 1.25, 1.5 → years 0, 1, 1, 1.
        assert!((k.discard(0, 0.0) - 0.1).abs() < 1e-12);
        assert!((k.discard(1, 0.0) - 0.9).abs() < 1e-12);
        // Shifted by half a year: 1.25, 1.5, 1.75, 2.0 → years 1, 1, 1, 2.
        assert!((k.discard(1, 0.5) - 0.6).abs() < 1e-12);
        assert!((k.discard(2, 0.5) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn significant_digits() {
        assert_eq!(sig(7.78), "7.78");
        assert_eq!(sig(1.4567891), "1.457");
        assert_eq!(sig(1234.6), "1235");
        assert_eq!(sig(0.25), "0.25");
    }
}

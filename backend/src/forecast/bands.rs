//! Uncertainty bands of a sum of independent Bernoulli contributions. Pure.
//!
//! In a year, item i leaves use with probability p_i, independently of the others, and
//! brings mass m_i. The year's count N = Σ B_i and mass M = Σ m_i·B_i have exact
//! cumulants: mean Σ m p, variance Σ m² p(1−p), third cumulant Σ m³ p(1−p)(1−2p)
//! (m = 1 for the count).
//!
//! - Where it is cheap (at most [`EXACT_MAX`] items), the exact distribution by
//!   convolution: of the count (Poisson-binomial), and of the mass on a grid of
//!   [`MASS_BINS`] steps up to μ + 12σ (each item's mass rounded to the grid; by Cantelli's
//!   inequality the sum exceeds μ + 12σ with probability under 0.7 %, so both quantiles
//!   lie on the grid). p5 is the smallest value v with P(X ≤ v) ≥ 0.05, p95 the smallest
//!   with P(X ≤ v) ≥ 0.95.
//! - Larger fleets: the Cornish–Fisher expansion from the exact
//!   cumulants, q(z) = μ + σ·(z + (z² − 1)·γ/6) with skewness γ = κ₃/σ³, z = ±1.6449;
//!   a count's quantile is then ⌈q − 0.5⌉ (continuity), and every band is clamped to
//!   what is possible (0 to the total).

/// The standard normal quantile at 0.95.
pub const Z95: f64 = 1.6448536269514722;

/// Largest number of items whose distributions are computed exactly.
pub const EXACT_MAX: u64 = 1000;
/// Steps of the grid of an exact mass distribution.
pub const MASS_BINS: usize = 2048;

/// Exact cumulants of a sum of independent weighted Bernoullis.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cumulants {
    pub mean: f64,
    pub var: f64,
    pub k3: f64,
}

impl Cumulants {
    /// Adds `n` items of weight `m` (moments passed as Σm, Σm², Σm³ over them) leaving
    /// with probability `p`.
    #[inline]
    pub fn add(&mut self, s1: f64, s2: f64, s3: f64, p: f64) {
        let q = p * (1.0 - p);
        self.mean += s1 * p;
        self.var += s2 * q;
        self.k3 += s3 * q * (1.0 - 2.0 * p);
    }

    pub fn sd(&self) -> f64 {
        self.var.max(0.0).sqrt()
    }

    /// The Cornish–Fisher quantile at standard normal quantile `z`.
    pub fn quantile(&self, z: f64) -> f64 {
        let sd = self.var.max(0.0).sqrt();
        if sd <= 1e-12 {
            return self.mean;
        }
        let skew = self.k3 / (sd * sd * sd);
        self.mean + sd * (z + (z * z - 1.0) * skew / 6.0)
    }
}

/// A figure with its 5th and 95th percentiles.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Band {
    pub mean: f64,
    /// The standard deviation, √variance.
    pub sd: f64,
    pub p5: f64,
    pub p95: f64,
}

/// How a band was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BandMethod {
    /// The exact Poisson-binomial distribution.
    Exact,
    /// Cornish–Fisher from the exact mean, variance and third cumulant.
    CornishFisher,
}

/// The band of a mass from its exact distribution: `items` are (mass, probability) of
/// every item, `c` their cumulants (for the grid's extent), `max` the largest possible sum.
pub fn mass_exact(items: impl IntoIterator<Item = (f64, f64)>, c: &Cumulants, max: f64) -> Band {
    let upper = (c.mean + 12.0 * c.var.max(0.0).sqrt()).min(max.max(0.0));
    if upper <= 0.0 || c.var <= 1e-18 {
        return Band {
            mean: c.mean,
            sd: c.sd(),
            p5: c.mean.clamp(0.0, max.max(0.0)),
            p95: c.mean.clamp(0.0, max.max(0.0)),
        };
    }
    let step = upper / MASS_BINS as f64;
    let mut dist = vec![0.0; MASS_BINS + 1];
    dist[0] = 1.0;
    // The highest bin holding any probability: the convolution only walks up to it.
    let mut top = 0usize;
    for (m, p) in items {
        if p <= 1e-15 || m <= 0.0 {
            continue;
        }
        let p = p.min(1.0);
        let k = (m / step).round() as usize;
        if k == 0 {
            continue;
        }
        // What moves past the grid's end drops out (the quantiles lie below it).
        top = (top + k).min(MASS_BINS);
        for j in (0..=top).rev() {
            let moved_in = if j >= k { dist[j - k] * p } else { 0.0 };
            dist[j] = dist[j] * (1.0 - p) + moved_in;
        }
    }
    let quantile = |level: f64| {
        let mut acc = 0.0;
        for (j, v) in dist.iter().enumerate() {
            acc += v;
            if acc >= level - 1e-12 {
                return Some(j as f64 * step);
            }
        }
        None
    };
    match (quantile(0.05), quantile(0.95)) {
        (Some(p5), Some(p95)) => Band { mean: c.mean, sd: c.sd(), p5, p95 },
        // Not on the grid (cannot happen by Cantelli's bound; kept total).
        _ => continuous(c, max),
    }
}

impl BandMethod {
    pub fn describe(self) -> &'static str {
        match self {
            BandMethod::Exact => "exact Poisson-binomial distribution of the count",
            BandMethod::CornishFisher => {
                "Cornish–Fisher expansion from the exact mean, variance and third cumulant of the sum of independent Bernoulli contributions"
            }
        }
    }
}

/// A continuous band (a mass) from cumulants, clamped to 0..=`max`.
pub fn continuous(c: &Cumulants, max: f64) -> Band {
    let clamp = |v: f64| v.clamp(0.0, max.max(0.0));
    Band { mean: c.mean, sd: c.sd(), p5: clamp(c.quantile(-Z95)), p95: clamp(c.quantile(Z95)) }
}

/// A count band from cumulants (continuity-corrected), clamped to 0..=`n`.
pub fn count_approx(c: &Cumulants, n: f64) -> Band {
    let q = |z: f64| (c.quantile(z) - 0.5).ceil().clamp(0.0, n);
    if c.var <= 1e-12 {
        return Band { mean: c.mean, sd: c.sd(), p5: c.mean.round(), p95: c.mean.round() };
    }
    Band { mean: c.mean, sd: c.sd(), p5: q(-Z95), p95: q(Z95) }
}

/// The exact distribution of a sum of binomials: groups of (n items, probability p).
/// Returns P(N = k) for k = 0..=Σn.
pub fn poisson_binomial(groups: impl IntoIterator<Item = (u64, f64)>) -> Vec<f64> {
    let mut dist = vec![1.0];
    for (n, p) in groups {
        if n == 0 || p <= 0.0 {
            continue;
        }
        let p = p.min(1.0);
        for _ in 0..n {
            dist.push(0.0);
            // In place, from the top: new[k] = old[k]·(1−p) + old[k−1]·p.
            for k in (1..dist.len()).rev() {
                dist[k] = dist[k] * (1.0 - p) + dist[k - 1] * p;
            }
            dist[0] *= 1.0 - p;
        }
    }
    dist
}

/// The band of an exact count distribution.
pub fn count_exact(dist: &[f64], c: &Cumulants) -> Band {
    let quantile = |level: f64| {
        let mut acc = 0.0;
        for (k, p) in dist.iter().enumerate() {
            acc += p;
            // A hair below the level counts as reaching it (rounding in the sums).
            if acc >= level - 1e-12 {
                return k as f64;
            }
        }
        (dist.len().saturating_sub(1)) as f64
    };
    Band { mean: c.mean, sd: c.sd(), p5: quantile(0.05), p95: quantile(0.95) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_binomial_matches_a_hand_convolution() {
        // Two items, p = 0.5 and 0.2: P(0) = 0.5·0.8 = 0.4, P(1) = 0.5·0.8 + 0.5·0.2 = 0.5,
        // P(2) = 0.5·0.2 = 0.1.
        let d = poisson_binomial([(1, 0.5), (1, 0.2)]);
        for (got, want) in d.iter().zip([0.4, 0.5, 0.1]) {
            assert!((got - want).abs() < 1e-12, "{d:?}");
        }
        // Binomial(3, 0.5): 1/8, 3/8, 3/8, 1/8.
        let d = poisson_binomial([(3, 0.5)]);
        for (got, want) in d.iter().zip([0.125, 0.375, 0.375, 0.125]) {
            assert!((got - want).abs() < 1e-12);
        }
        // Quantiles: P(N ≤ 0) = 0.125 ≥ 0.05 → p5 = 0; P(N ≤ 2) = 0.875 < 0.95, P(N ≤ 3) = 1 → p95 = 3.
        let mut c = Cumulants::default();
        c.add(3.0, 3.0, 3.0, 0.5);
        let b = count_exact(&d, &c);
        assert_eq!((b.mean, b.sd), (1.5, 0.75f64.sqrt()));
        assert_eq!((b.p5, b.p95), (0.0, 3.0));
    }

    #[test]
    fn an_exact_mass_distribution_by_hand() {
        // 10 kg with p = 0.5, 20 kg with p = 0.1: P(0) = 0.45, P(10) = 0.45, P(20) = 0.05,
        // P(30) = 0.05. p5: P(≤ 0) = 0.45 ≥ 0.05 → 0; p95: P(≤ 20) = 0.95 → 20.
        let mut c = Cumulants::default();
        c.add(10.0, 100.0, 1000.0, 0.5);
        c.add(20.0, 400.0, 8000.0, 0.1);
        let b = mass_exact([(10.0, 0.5), (20.0, 0.1)], &c, 30.0);
        assert_eq!(b.p5, 0.0);
        assert!((b.p95 - 20.0).abs() < 30.0 / MASS_BINS as f64, "{b:?}");
    }

    #[test]
    fn cumulants_of_weighted_bernoullis() {
        // Masses 2 and 3 kg, p = 0.5 each: mean 2.5, variance (4 + 9)·0.25 = 3.25, κ3 = 0 (p = ½).
        let mut c = Cumulants::default();
        c.add(2.0, 4.0, 8.0, 0.5);
        c.add(3.0, 9.0, 27.0, 0.5);
        assert_eq!((c.mean, c.var, c.k3), (2.5, 3.25, 0.0));
        // Symmetric: the band is mean ± 1.6449·√3.25.
        let b = continuous(&c, 10.0);
        assert!((b.p95 - (2.5 + Z95 * 3.25f64.sqrt())).abs() < 1e-12);
        // Clamped to what is possible (here at most 5 kg can leave).
        assert_eq!(continuous(&c, 5.0).p95, 5.0);
        assert!(b.p5 >= 0.0);
    }
}

//! A Weibull lifespan fitted to the registry's own history. Pure.
//!
//! Each item of a kind is one observation: an item whose life ended (retired, sold, lost)
//! is an event at the age it ended; an item still in use is right-censored at its age
//! today (it lived at least that long). The log-likelihood, with r events,
//!
//!   ℓ(α, β) = r·ln α − r·α·ln β + (α − 1)·Σ_events ln tᵢ − Σ_all (tᵢ/β)^α,
//!
//! is maximised by profiling out β: β^α = Σ_all tᵢ^α / r, and α solves
//!
//!   g(α) = 1/α + (1/r)·Σ_events ln tᵢ − Σ_all tᵢ^α ln tᵢ / Σ_all tᵢ^α = 0,
//!
//! which falls as α grows, so a bracketed root search on ln α (regula falsi) finds it safely.
//! Standard errors come from the observed information matrix at the optimum
//! (u = (t/β)^α, z = t/β):
//!
//!   I_αα = r/α² + Σ u (ln z)²,  I_ββ = r α²/β²,  I_αβ = −(α/β) Σ u ln z,
//!
//! and the 95 % intervals are taken on the log scale (α̂·exp(±1.96·se/α̂)), so they stay
//! positive. Too little history ([`MIN_EVENTS`]) is refused with the reason, and the
//! caller falls back to the shipped default.

use std::collections::HashMap;

/// Fewest events (items whose life ended) a fit needs.
pub const MIN_EVENTS: usize = 10;
/// The normal quantile of a two-sided 95 % interval.
pub const Z975: f64 = 1.959963984540054;

/// One item: its age in years, and whether its life ended then (else it is still in use).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Obs {
    pub years: f64,
    pub ended: bool,
}

/// A fitted Weibull law with its uncertainty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeibullFit {
    pub shape: f64,
    pub scale: f64,
    pub shape_se: f64,
    pub scale_se: f64,
    pub shape_ci: (f64, f64),
    pub scale_ci: (f64, f64),
    pub events: usize,
    pub censored: usize,
    pub log_likelihood: f64,
}

/// Why no fit was made.
#[derive(Clone, Debug, PartialEq)]
pub enum NoFit {
    TooFewEvents {
        events: usize,
        needed: usize,
    },
    /// Every event at the same age: the shape is unbounded.
    NoSpread,
    NotConverged,
}

impl std::fmt::Display for NoFit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoFit::TooFewEvents { events, needed } => {
                write!(f, "too little history: {events} ended lives (a fit needs at least {needed})")
            }
            NoFit::NoSpread => f.write_str("every ended life has the same length: no shape can be fitted"),
            NoFit::NotConverged => f.write_str("the fit did not converge"),
        }
    }
}

/// Sums at one shape, with ln t shifted by its maximum so powers never overflow.
struct Sums {
    /// Σ exp(α(ln t − M)), Σ … · ln t.
    s0: f64,
    s1: f64,
}

fn sums(lt: &[f64], m: f64, alpha: f64) -> Sums {
    let mut s0 = 0.0;
    let mut s1 = 0.0;
    for l in lt {
        let w = (alpha * (l - m)).exp();
        s0 += w;
        s1 += w * l;
    }
    Sums { s0, s1 }
}

/// Each kind's fit, or why there is none.
pub fn by_kind<K: Copy + Eq + std::hash::Hash>(lives: &HashMap<K, Vec<Obs>>) -> HashMap<K, Result<WeibullFit, NoFit>> {
    lives.iter().map(|(k, obs)| (*k, fit(obs))).collect()
}

/// Fits a Weibull law to `obs`. Observations at age 0 or less carry no information and
/// are left out (a censored item of age 0 adds nothing to the likelihood; an item that
/// ended on its first day has no positive age).
pub fn fit(obs: &[Obs]) -> Result<WeibullFit, NoFit> {
    let usable: Vec<&Obs> = obs.iter().filter(|o| o.years > 0.0 && o.years.is_finite()).collect();
    let events: Vec<f64> = usable.iter().filter(|o| o.ended).map(|o| o.years.ln()).collect();
    let r = events.len();
    if r < MIN_EVENTS {
        return Err(NoFit::TooFewEvents { events: r, needed: MIN_EVENTS });
    }
    let lt: Vec<f64> = usable.iter().map(|o| o.years.ln()).collect();
    let censored = lt.len() - r;
    let (emin, emax) = events.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    if emax - emin < 1e-9 {
        return Err(NoFit::NoSpread);
    }
    let m = lt.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mean_event_lt = events.iter().sum::<f64>() / r as f64;
    let g = |alpha: f64| {
        let s = sums(&lt, m, alpha);
        1.0 / alpha + mean_event_lt - s.s1 / s.s0
    };
    // g falls as α grows: bracket the root on ln α over [0.01, 100], then regula falsi
    // (the Illinois variant: superlinear, and it never leaves the bracket).
    let (mut lo, mut hi) = (0.01f64.ln(), 100f64.ln());
    let (mut g_lo, mut g_hi) = (g(lo.exp()), g(hi.exp()));
    if !(g_lo > 0.0 && g_hi < 0.0) {
        return Err(NoFit::NotConverged);
    }
    let mut x = 0.5 * (lo + hi);
    let mut side = 0i8;
    for _ in 0..200 {
        x = (lo * g_hi - hi * g_lo) / (g_hi - g_lo);
        let gx = g(x.exp());
        if gx == 0.0 || hi - lo < 1e-12 {
            break;
        }
        if gx > 0.0 {
            lo = x;
            g_lo = gx;
            if side == 1 {
                g_hi *= 0.5;
            }
            side = 1;
        } else {
            hi = x;
            g_hi = gx;
            if side == -1 {
                g_lo *= 0.5;
            }
            side = -1;
        }
        if gx.abs() < 1e-13 {
            break;
        }
    }
    let alpha = x.exp();
    if !alpha.is_finite() {
        return Err(NoFit::NotConverged);
    }
    // β = (Σ t^α / r)^(1/α), with the shift M put back.
    let s = sums(&lt, m, alpha);
    let ln_beta = m + (s.s0.ln() - (r as f64).ln()) / alpha;
    let beta = ln_beta.exp();

    // Observed information at the optimum.
    let mut a_sum = 0.0; // Σ u (ln z)²
    let mut b_sum = 0.0; // Σ u ln z
    let mut u_sum = 0.0;
    for l in &lt {
        let lz = l - ln_beta;
        let u = (alpha * lz).exp();
        a_sum += u * lz * lz;
        b_sum += u * lz;
        u_sum += u;
    }
    let rf = r as f64;
    let i_aa = rf / (alpha * alpha) + a_sum;
    let i_bb = rf * alpha * alpha / (beta * beta);
    let i_ab = -(alpha / beta) * b_sum;
    let det = i_aa * i_bb - i_ab * i_ab;
    if !(det.is_finite() && det > 0.0) {
        return Err(NoFit::NotConverged);
    }
    let shape_se = (i_bb / det).sqrt();
    let scale_se = (i_aa / det).sqrt();
    let ci = |v: f64, se: f64| {
        let k = (Z975 * se / v).exp();
        (v / k, v * k)
    };
    let log_likelihood = rf * alpha.ln() - rf * alpha * ln_beta + (alpha - 1.0) * events.iter().sum::<f64>() - u_sum;
    Ok(WeibullFit {
        shape: alpha,
        scale: beta,
        shape_se,
        scale_se,
        shape_ci: ci(alpha, shape_se),
        scale_ci: ci(beta, scale_se),
        events: r,
        censored,
        log_likelihood,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// `n` lifespans from Weibull(α, β), each censored at a uniform age in 0..`follow`.
    fn sample(rng: &mut StdRng, n: usize, alpha: f64, beta: f64, follow: f64) -> Vec<Obs> {
        (0..n)
            .map(|_| {
                let u: f64 = rng.random_range(f64::EPSILON..1.0);
                let t = beta * (-u.ln()).powf(1.0 / alpha);
                let c = rng.random_range(0.0..follow);
                if t <= c { Obs { years: t, ended: true } } else { Obs { years: c, ended: false } }
            })
            .collect()
    }

    #[test]
    fn the_fit_recovers_known_parameters_within_its_interval() {
        let mut rng = StdRng::seed_from_u64(2);
        let obs = sample(&mut rng, 5000, 1.8, 6.0, 12.0);
        let f = fit(&obs).unwrap();
        assert!(f.shape_ci.0 < 1.8 && 1.8 < f.shape_ci.1, "{f:?}");
        assert!(f.scale_ci.0 < 6.0 && 6.0 < f.scale_ci.1, "{f:?}");
        assert!(f.censored > 500 && f.events > 2000, "{f:?}");
        // The profile equation holds at the optimum: β^α = Σ t^α / r.
        let sum: f64 = obs.iter().filter(|o| o.years > 0.0).map(|o| o.years.powf(f.shape)).sum();
        assert!((f.scale.powf(f.shape) - sum / f.events as f64).abs() / f.scale.powf(f.shape) < 1e-9);
    }

    #[test]
    fn the_intervals_cover_the_truth_about_95_times_in_100() {
        let mut rng = StdRng::seed_from_u64(42);
        let runs = 300;
        let (mut shape_in, mut scale_in) = (0, 0);
        for _ in 0..runs {
            let obs = sample(&mut rng, 300, 1.46, 7.78, 10.0);
            let f = fit(&obs).unwrap();
            shape_in += usize::from(f.shape_ci.0 < 1.46 && 1.46 < f.shape_ci.1);
            scale_in += usize::from(f.scale_ci.0 < 7.78 && 7.78 < f.scale_ci.1);
        }
        // 95 % nominal; with 300 runs the binomial sd is 1.3 points.
        for (what, k) in [("shape", shape_in), ("scale", scale_in)] {
            let share = k as f64 / runs as f64;
            assert!((0.90..=0.99).contains(&share), "{what}: {share}");
        }
    }

    #[test]
    fn without_censoring_the_estimate_solves_the_classic_equation() {
        // Ages 1..=12 years, every life ended: the MLE solves
        // Σ t^α ln t / Σ t^α − 1/α − mean(ln t) = 0; check it at the returned α directly.
        let obs: Vec<Obs> = (1..=12).map(|t| Obs { years: f64::from(t), ended: true }).collect();
        let f = fit(&obs).unwrap();
        let a = f.shape;
        let s0: f64 = (1..=12).map(|t| f64::from(t).powf(a)).sum();
        let s1: f64 = (1..=12).map(|t| f64::from(t).powf(a) * f64::from(t).ln()).sum();
        let ml: f64 = (1..=12).map(|t| f64::from(t).ln()).sum::<f64>() / 12.0;
        assert!((s1 / s0 - 1.0 / a - ml).abs() < 1e-9);
        assert_eq!(f.censored, 0);
    }

    #[test]
    fn too_little_history_is_refused_with_the_reason() {
        let obs: Vec<Obs> = (1..=9).map(|t| Obs { years: f64::from(t), ended: true }).collect();
        assert_eq!(fit(&obs), Err(NoFit::TooFewEvents { events: 9, needed: MIN_EVENTS }));
        let same: Vec<Obs> = (0..20).map(|_| Obs { years: 4.0, ended: true }).collect();
        assert_eq!(fit(&same), Err(NoFit::NoSpread));
        assert!(NoFit::TooFewEvents { events: 3, needed: 10 }.to_string().contains("3 ended lives"));
    }
}

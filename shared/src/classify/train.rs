//! Training the model offline: a multinomial logistic regression with an L2 penalty
//! (minimising the summed cross-entropy plus `|W|² / 2C`), fitted by full-batch Adam over
//! sparse features, deterministically; and cross-validation with folds drawn by story, so
//! coverage of one event is never on both sides.

use super::features::{features, Feature};
use super::model::{Model, Weights};
use super::Category;
use crate::eval::LabelledRow;
use crate::mentions::Mentions;
use std::collections::HashMap;

/// One labelled item.
#[derive(Debug, Clone)]
pub struct Example {
    /// Where it comes from: `file:id`.
    pub id: String,
    /// Its headline.
    pub title: String,
    /// Its features.
    pub features: Vec<Feature>,
    /// The hand label.
    pub label: Category,
    /// The story it covers: examples of one story share a fold.
    pub story: String,
}

impl Example {
    /// An example from a labelled headline and summary.
    pub fn new(title: &str, summary: &str, label: Category, story: &str) -> Example {
        Example {
            id: String::new(),
            title: title.to_owned(),
            features: features(&Mentions::find(title, summary)),
            label,
            story: story.to_owned(),
        }
    }
}

/// The examples in the rows of the file named `file` (its name, no directory): every row but
/// those whose split is `skip_split`. A row without a story is a story of its own.
pub fn examples(rows: &[LabelledRow], file: &str, skip_split: &str) -> Vec<Example> {
    rows.iter()
        .filter(|row| row.split.as_deref() != Some(skip_split))
        .map(|row| {
            let id = format!("{file}:{}", row.id);
            let story = if row.story.is_empty() {
                id.clone()
            } else {
                row.story.clone()
            };
            Example {
                id,
                ..Example::new(&row.title, &row.description, row.label, &story)
            }
        })
        .collect()
}

/// The comment a model file starts with: how it was trained, and on what (file names and
/// their numbers of examples).
pub fn header(params: &Params, skip_split: &str, sources: &[(String, usize)]) -> String {
    let mut header = format!(
        "Classifier weights: feature, then Trade, Signing, Other. Written by `tracker train`\n\
         with c={} epochs={} min_count={}, leaving out split {skip_split:?}, from:",
        params.c, params.epochs, params.min_count
    );
    for (file, count) in sources {
        header.push_str(&format!("\n{file}: {count} rows"));
    }
    header
}

/// How the model is fitted.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Inverse strength of the L2 penalty: larger fits the training data more closely.
    pub c: f64,
    /// Passes over the data.
    pub epochs: usize,
    /// Adam's step size.
    pub rate: f64,
    /// Features seen in fewer examples than this are left out.
    pub min_count: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            c: 1.0,
            epochs: 400,
            rate: 0.05,
            min_count: 2,
        }
    }
}

/// Fits a model to `examples`.
pub fn fit<'a>(examples: &'a [Example], params: &Params) -> Model<'a> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for f in examples.iter().flat_map(|e| &e.features) {
        *counts.entry(&f.name).or_default() += 1;
    }
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut names: Vec<&str> = Vec::new();
    let rows: Vec<Vec<(usize, f64)>> = examples
        .iter()
        .map(|e| {
            e.features
                .iter()
                .filter(|f| counts[f.name.as_str()] >= params.min_count)
                .map(|f| {
                    let id = *ids.entry(&f.name).or_insert_with(|| {
                        names.push(&f.name);
                        names.len() - 1
                    });
                    (id, f64::from(f.value))
                })
                .collect()
        })
        .collect();
    // Parameters: one row of three weights per feature, then the intercepts.
    let n = names.len() + 1;
    let bias = names.len();
    let mut w = vec![[0.0_f64; 3]; n];
    let mut adam = Adam::new(n, params.rate);
    let mut grad = vec![[0.0_f64; 3]; n];
    for _ in 0..params.epochs {
        for (g, w) in grad.iter_mut().zip(&w).take(bias) {
            *g = w.map(|w| w / params.c);
        }
        grad[bias] = [0.0; 3];
        for (row, example) in rows.iter().zip(examples) {
            let mut z = w[bias];
            for &(id, v) in row {
                for k in 0..3 {
                    z[k] += w[id][k] * v;
                }
            }
            let p = softmax64(z);
            let mut diff = p;
            diff[example.label.index()] -= 1.0;
            for &(id, v) in row {
                for k in 0..3 {
                    grad[id][k] += diff[k] * v;
                }
            }
            for k in 0..3 {
                grad[bias][k] += diff[k];
            }
        }
        adam.step(&mut w, &grad);
    }
    let to32 = |w: &[f64; 3]| w.map(|w| w as f32);
    let weights = names
        .iter()
        .zip(&w)
        .map(|(name, w)| (*name, to32(w)))
        .collect();
    Model::new(to32(&w[bias]), weights)
}

/// Each example's probabilities from a model fitted without its fold (`folds` folds, by story).
pub fn cross_validate(examples: &[Example], folds: usize, params: &Params) -> Vec<Weights> {
    let fold_of: Vec<usize> = examples.iter().map(|e| fold(&e.story, folds)).collect();
    let mut out = vec![[0.0; 3]; examples.len()];
    for k in 0..folds {
        let train: Vec<Example> = examples
            .iter()
            .zip(&fold_of)
            .filter(|(_, f)| **f != k)
            .map(|(e, _)| e.clone())
            .collect();
        let model = fit(&train, params);
        for (i, e) in examples.iter().enumerate() {
            if fold_of[i] == k {
                out[i] = model.probabilities(&e.features);
            }
        }
    }
    out
}

/// The fold of a story: FNV-1a of its key, so it is the same on every machine.
fn fold(story: &str, folds: usize) -> usize {
    let hash = story.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % folds.max(1) as u64) as usize
}

/// [`super::model::softmax`] in double precision, as the fit works.
fn softmax64(z: [f64; 3]) -> [f64; 3] {
    let top = z.iter().copied().fold(f64::MIN, f64::max);
    let e = z.map(|z| (z - top).exp());
    let total: f64 = e.iter().sum();
    e.map(|e| e / total)
}

/// Adam's moment estimates.
struct Adam {
    rate: f64,
    t: i32,
    m: Vec<[f64; 3]>,
    v: Vec<[f64; 3]>,
}

impl Adam {
    const BETA1: f64 = 0.9;
    const BETA2: f64 = 0.999;
    const EPSILON: f64 = 1e-8;

    fn new(n: usize, rate: f64) -> Adam {
        Adam {
            rate,
            t: 0,
            m: vec![[0.0; 3]; n],
            v: vec![[0.0; 3]; n],
        }
    }

    fn step(&mut self, w: &mut [[f64; 3]], grad: &[[f64; 3]]) {
        self.t += 1;
        let c1 = 1.0 - Self::BETA1.powi(self.t);
        let c2 = 1.0 - Self::BETA2.powi(self.t);
        for (((w, g), m), v) in w.iter_mut().zip(grad).zip(&mut self.m).zip(&mut self.v) {
            for k in 0..3 {
                m[k] = Self::BETA1 * m[k] + (1.0 - Self::BETA1) * g[k];
                v[k] = Self::BETA2 * v[k] + (1.0 - Self::BETA2) * g[k] * g[k];
                w[k] -= self.rate * (m[k] / c1) / ((v[k] / c2).sqrt() + Self::EPSILON);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_what_separates_the_labels() {
        let examples: Vec<Example> = [
            ("Hawks trade guard to Jazz", Category::Trade),
            ("Kings trade center for picks", Category::Trade),
            ("Suns sign forward", Category::Signing),
            ("Bulls sign rookie", Category::Signing),
            ("Magic beat Heat", Category::Other),
            ("Nets lose to Knicks", Category::Other),
        ]
        .iter()
        .enumerate()
        .map(|(i, (t, l))| Example::new(t, "", *l, &i.to_string()))
        .collect();
        let model = fit(&examples, &Params::default());
        let best = |title: &str| {
            let p = model.probabilities(&features(&Mentions::find(title, "")));
            Category::ALL[(0..3).fold(0, |b, k| if p[k] > p[b] { k } else { b })]
        };
        assert_eq!(best("Celtics trade veteran"), Category::Trade);
        assert_eq!(best("Pacers sign veteran"), Category::Signing);
        assert_eq!(best("Pistons beat Spurs"), Category::Other);
    }

    #[test]
    fn folds_keep_a_story_together_and_are_stable() {
        assert_eq!(fold("2019-07 kawhi", 5), fold("2019-07 kawhi", 5));
        let used: std::collections::HashSet<usize> =
            (0..50).map(|i| fold(&format!("story {i}"), 5)).collect();
        assert_eq!(used.len(), 5);
    }
}

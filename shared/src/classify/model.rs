//! The learned model: a multinomial logistic regression over [`features`](super::features),
//! trained offline by [`train`](super::train) and shipped as data (`shared/data/classifier.tsv`,
//! one line per feature: its name and its weight for Trade, Signing and Other; the line named
//! [`BIAS`] holds the intercepts).

use super::features::Feature;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The shipped weights.
const SHIPPED: &str = include_str!("../../data/classifier.tsv");

/// Features whose weights are all smaller than this are left out of a model file.
pub const MIN_WEIGHT: f32 = 0.001;

/// The name of the line holding the intercepts.
pub const BIAS: &str = "@bias";

/// Weights for Trade, Signing and Other, in [`super::Category::ALL`] order.
pub type Weights = [f32; 3];

/// A trained model, its feature names borrowed from the text or examples it came from.
#[derive(Debug, Default)]
pub struct Model<'a> {
    bias: Weights,
    weights: HashMap<&'a str, Weights>,
}

/// A model file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ModelError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl<'a> Model<'a> {
    /// The shipped model, read once (a test proves it reads).
    pub fn get() -> &'static Model<'static> {
        static MODEL: OnceLock<Model<'static>> = OnceLock::new();
        MODEL.get_or_init(|| Model::parse(SHIPPED).expect("the shipped model reads"))
    }

    /// Reads a model file: `#` comment lines, then `name<TAB>trade<TAB>signing<TAB>other`.
    pub fn parse(text: &'a str) -> Result<Model<'a>, ModelError> {
        let mut model = Model::default();
        for (index, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let error = |message: &str| ModelError {
                line: index + 1,
                message: message.to_owned(),
            };
            let mut fields = line.split('\t');
            let name = fields.next().unwrap_or_default();
            let mut weights = [0.0; 3];
            for w in &mut weights {
                *w = fields
                    .next()
                    .ok_or_else(|| error("expected a name and three weights"))?
                    .parse()
                    .map_err(|_| error("a weight is not a number"))?;
            }
            if name == BIAS {
                model.bias = weights;
            } else {
                model.weights.insert(name, weights);
            }
        }
        if model.weights.is_empty() {
            return Err(ModelError {
                line: 0,
                message: "no feature weights".into(),
            });
        }
        Ok(model)
    }

    /// Builds a model from trained weights.
    pub fn new(bias: Weights, weights: HashMap<&'a str, Weights>) -> Model<'a> {
        Model { bias, weights }
    }

    /// The feature's weights (zero for a feature the model never saw).
    pub fn weights(&self, name: &str) -> Weights {
        self.weights.get(name).copied().unwrap_or_default()
    }

    /// The three categories' probabilities, in [`super::Category::ALL`] order.
    pub fn probabilities(&self, features: &[Feature]) -> Weights {
        let mut scores = self.bias;
        for f in features {
            let w = self.weights(&f.name);
            for (s, w) in scores.iter_mut().zip(w) {
                *s += w * f.value;
            }
        }
        softmax(scores)
    }

    /// The largest difference between a weight of this model and the same weight of `other`
    /// (a weight one lacks counts as zero).
    pub fn distance(&self, other: &Model<'_>) -> f32 {
        let names = self.weights.keys().chain(other.weights.keys());
        names
            .map(|name| (self.weights(name), other.weights(name)))
            .chain([(self.bias, other.bias)])
            .flat_map(|(a, b)| (0..3).map(move |k| (a[k] - b[k]).abs()))
            .fold(0.0, f32::max)
    }

    /// The model as a file: `header` lines as comments, then the intercepts and every
    /// feature with a weight of at least [`MIN_WEIGHT`], sorted by name.
    pub fn to_file(&self, header: &str) -> String {
        let mut names: Vec<&str> = self
            .weights
            .iter()
            .filter(|(_, w)| w.iter().any(|w| w.abs() >= MIN_WEIGHT))
            .map(|(n, _)| *n)
            .collect();
        names.sort();
        let mut out: String = header.lines().map(|l| format!("# {l}\n")).collect();
        let line =
            |name: &str, w: &Weights| format!("{name}\t{:.4}\t{:.4}\t{:.4}\n", w[0], w[1], w[2]);
        out.push_str(&line(BIAS, &self.bias));
        for name in names {
            out.push_str(&line(name, &self.weights[name]));
        }
        out
    }
}

/// Probabilities from scores.
pub fn softmax(scores: Weights) -> Weights {
    let top = scores.iter().copied().fold(f32::MIN, f32::max);
    let exp = scores.map(|s| (s - top).exp());
    let total: f32 = exp.iter().sum();
    exp.map(|e| e / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_model_reads() {
        let model = Model::parse(SHIPPED).expect("shipped model");
        assert!(model.weights.len() > 1000, "{}", model.weights.len());
    }

    #[test]
    fn a_model_survives_its_file() {
        let weights = HashMap::from([("w:sign", [0.5, 2.25, -1.0])]);
        let model = Model::new([0.1, 0.2, 0.3], weights);
        let file = model.to_file("trained on nothing");
        let again = Model::parse(&file).expect("reads");
        assert_eq!(again.bias, [0.1, 0.2, 0.3]);
        assert_eq!(again.weights("w:sign"), [0.5, 2.25, -1.0]);
        assert_eq!(again.weights("w:trade"), [0.0; 3]);
        assert_eq!(again.distance(&model), 0.0);
        let nudged = Model::new(
            [0.1, 0.2, 0.3],
            HashMap::from([("w:sign", [0.5, 2.0, -1.0])]),
        );
        assert_eq!(nudged.distance(&model), 0.25);
        assert_eq!(
            Model::new([0.1, 0.2, 0.3], HashMap::new()).distance(&model),
            2.25
        );
        assert!(Model::parse("w:x\t1\t2\n").is_err());
        assert!(Model::parse("# nothing\n").is_err());
    }
}

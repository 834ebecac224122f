//! `tracker classify`.

use shared::classify::classify;
use std::io::{BufRead, Write};

/// Arguments of `tracker classify`.
#[derive(clap::Args)]
pub struct Args {
    /// The headline.
    #[arg(required_unless_present = "jsonl", conflicts_with = "jsonl")]
    title: Option<String>,
    /// The description or summary.
    description: Option<String>,
    /// Read JSON lines {"title":..,"description":..} on stdin; write one result per line.
    #[arg(long)]
    jsonl: bool,
}

#[derive(serde::Deserialize)]
struct Input {
    title: String,
    #[serde(default)]
    description: Option<String>,
}

/// Classifies one headline, or every JSON line on stdin.
pub fn run(args: Args) -> super::Result {
    if !args.jsonl {
        let title = args.title.unwrap_or_default();
        return super::print_json(&classify(&title, args.description.as_deref().unwrap_or("")));
    }
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (index, line) in stdin.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let input: Input =
            serde_json::from_str(&line).map_err(|e| format!("stdin line {}: {e}", index + 1))?;
        let decision = classify(&input.title, input.description.as_deref().unwrap_or(""));
        serde_json::to_writer(&mut out, &decision)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

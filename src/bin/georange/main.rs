//! The `georange` command line: convert official files, embed points from a CSV.

mod bank;
mod convert;
mod embed;
mod imagery;
mod points;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// RANGE geo-embeddings: convert SatCLIP checkpoints and RANGE databases, embed points.
#[derive(Parser)]
#[command(name = "georange", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert official model files into georange's encoder and bank files.
    #[command(subcommand)]
    Convert(convert::ConvertCommand),
    /// Embed the points of a CSV file (columns named lon and lat) into a float32 .npy.
    Embed(embed::EmbedArgs),
    /// Build retrieval banks.
    #[command(subcommand)]
    Bank(bank::BankCommand),
    /// Describe the points of a CSV by the imagery descriptor that `bank imagery` stores.
    Describe(imagery::DescribeArgs),
    /// Print the metadata of a georange encoder or bank file.
    Info {
        /// An encoder.safetensors or bank.safetensors file.
        file: std::path::PathBuf,
    },
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal failure ({info}); please report this as a bug");
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        Err(e) => {
            // One line, as every error of the CLI (clap's own spans several).
            let text = e.render().to_string();
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
                .collect();
            eprintln!("{}", lines.join(" "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Convert(c) => convert::run(c),
        Command::Embed(a) => embed::run(a),
        Command::Bank(c) => bank::run(c),
        Command::Describe(a) => imagery::describe_points(a),
        Command::Info { file } => convert::info(&file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

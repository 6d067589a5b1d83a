//! `portico`: the developer portal in one binary.

use clap::{Parser, Subcommand};
use server::catalog::cli as catalog_cli;
use server::config::Config;
use server::{serve, telemetry};
use std::process::ExitCode;

/// Pages allocate many small strings: glibc malloc and free took a third of a catalog
/// page's CPU under load (BENCHMARKS.md, issue 14).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "portico",
    version,
    about = "A self-service internal developer portal"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Work with catalog files.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Render an Application spec into its delivery files (no database or configuration needed).
    Render(server::render::cli::RenderArgs),
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Check catalog files; exit 0 when valid, 1 with one line per problem otherwise.
    Validate {
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Register files or URLs as locations in the configured database and read them now.
    Import {
        #[arg(required = true, value_name = "FILE|URL")]
        sources: Vec<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make an API token for a catalog user and print it (once) on stdout.
    Create(server::identity::cli::CreateArgs),
}

/// Exit code for unusable configuration, as the README documents.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Render(args)) = &cli.command {
        return server::render::cli::run(args);
    }
    if let Some(Command::Catalog(CatalogCommand::Validate { files })) = &cli.command {
        // Needs neither configuration nor a database: usable in CI and pre-commit hooks.
        return match catalog_cli::validate(files, &mut std::io::stdout().lock()) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    telemetry::init(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve::run(config).await.map(|()| true),
            Command::Migrate => serve::migrate_only(config).await.map(|()| true),
            // Exit 1 when a source could not be imported (each one says why).
            Command::Catalog(CatalogCommand::Import { sources }) => {
                catalog_cli::import(&config, &sources).await
            }
            Command::Token(TokenCommand::Create(args)) => {
                server::identity::cli::create(&config, &args).await
            }
            Command::Catalog(CatalogCommand::Validate { .. }) | Command::Render(_) => Ok(true),
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

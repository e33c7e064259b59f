//! The command line: `agora [serve] | migrate up|down|status | config [--reference] | errors |
//! openapi | admin create | jobs list|stats|retry|purge|schedules`, and each module's own
//! command (`agora tasks export`), named after the module.

use std::ffi::OsString;
use std::path::PathBuf;

use agora_core::config::{Config, ConfigError, ConfigFile};
use agora_platform::module::ModuleCommand;
use anyhow::{Context, bail};
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use tokio::net::TcpListener;

use crate::jobs_command::{self, JobsAction};
use crate::{app, logging, secrets, serve};

#[derive(Debug, Parser)]
#[command(
    name = "agora",
    version,
    about = "Agora: one self-hosted back end for online communities"
)]
pub struct Cli {
    /// Configuration file (default: ./agora.toml when it exists).
    #[arg(long, global = true, env = "AGORA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub serve: ServeArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP server (the default when no command is given).
    Serve(ServeArgs),
    /// Apply, revert or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// See the job queue, retry dead jobs, purge finished ones.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Print the effective configuration, secrets hidden.
    Config {
        /// Print the reference of every setting (Markdown) instead.
        #[arg(long)]
        reference: bool,
    },
    /// Print the OpenAPI document of the enabled modules (what `/openapi.json` serves), to
    /// generate a client or lint it without a running server.
    Openapi,
    /// Print the reference of every error code (Markdown), as in `docs/errors.md`.
    Errors,
}

#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ServeArgs {
    /// Do not apply pending migrations at start-up.
    #[arg(long)]
    pub no_migrate: bool,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the most recent migrations.
    /// Revert the most recent migrations: their tables and rows are dropped. Names what it will
    /// revert and asks first, unless `--yes`.
    Down {
        /// How many to revert.
        #[arg(long, default_value_t = 1)]
        steps: u32,
        /// Do not ask (for scripts).
        #[arg(long)]
        yes: bool,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create an admin account (the first one, typically). Applies pending migrations first.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input; otherwise one is generated
        /// and printed once.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// What the command line asks for: one of the server's own commands, or a module's.
pub enum Invocation {
    Builtin(Cli),
    Module {
        /// The `--config` file, as for every command.
        config: Option<PathBuf>,
        command: ModuleCommand,
        /// What the module's command line matched.
        matches: ArgMatches,
    },
}

/// Reads the command line of this process (exits with clap's message on a mistake or `--help`).
pub fn parse() -> Invocation {
    parse_from(std::env::args_os())
}

/// Reads `args` (the program name first): the server's commands, and each module's under its
/// name.
pub fn parse_from(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> Invocation {
    let assembly = app::Assembly::default();
    let mut command = Cli::command();
    for (name, module) in assembly.commands() {
        command = command.subcommand((module.cli)().name(name));
    }
    let matches = command.get_matches_from(args);
    if let Some((name, sub)) = matches.subcommand()
        && let Some((_, module)) = assembly.commands().find(|(module, _)| *module == name)
    {
        return Invocation::Module {
            config: matches.get_one::<PathBuf>("config").cloned(),
            command: module,
            matches: sub.clone(),
        };
    }
    Invocation::Builtin(Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit()))
}

/// Runs what the command line asked for; the error is printed by `main` on one line.
pub async fn run_invocation(invocation: Invocation) -> anyhow::Result<()> {
    match invocation {
        Invocation::Builtin(cli) => run(cli).await,
        Invocation::Module {
            config,
            command,
            matches,
        } => {
            let mut config = load_config(config)?;
            logging::init(config.server.log_format);
            secrets::resolve(&mut config)?;
            let app = app::build(config, true).await?;
            (command.run)(app.state, matches).await
        }
    }
}

/// Runs one of the server's own commands.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve(cli.serve));
    if let Command::Config { reference: true } = command {
        print!(
            "{}",
            agora_core::config::reference_markdown(&crate::app::settings_sections(),)
        );
        return Ok(());
    }
    if let Command::Errors = command {
        print!("{}", crate::errors_reference::markdown());
        return Ok(());
    }
    let config = load_config(cli.config)?;
    match command {
        Command::Serve(args) => {
            // Dropped after the server has stopped: what is left of the traces goes out then.
            let _tracing = logging::init_with_traces(&config)?;
            run_server(config, !args.no_migrate).await
        }
        Command::Migrate { action } => {
            logging::init(config.server.log_format);
            migrate(config, action).await
        }
        Command::Admin { action } => {
            logging::init(config.server.log_format);
            admin(config, action).await
        }
        Command::Jobs { action } => jobs_command::run(config, action).await,
        Command::Config { .. } => {
            print_config(&config);
            Ok(())
        }
        Command::Openapi => {
            let document = app::Assembly::default().openapi_document(&config);
            println!("{}", serde_json::to_string_pretty(&document)?);
            Ok(())
        }
        // Answered above, before any configuration is needed.
        Command::Errors => Ok(()),
    }
}

/// Reads the configuration file (if any) and the environment.
pub fn load_config(path: Option<PathBuf>) -> anyhow::Result<Config> {
    let file =
        match path {
            Some(path) => Some(read_file(&path).with_context(|| {
                format!("cannot read the configuration file {}", path.display())
            })?),
            None => {
                let default = PathBuf::from("agora.toml");
                if default.exists() {
                    Some(read_file(&default).context("cannot read ./agora.toml")?)
                } else {
                    None
                }
            }
        };
    let config = Config::load(
        file.as_ref(),
        |name| std::env::var(name).ok(),
        &crate::app::settings_sections(),
    )?;
    app::Assembly::default().check_modules(&config)?;
    Ok(config)
}

fn read_file(path: &std::path::Path) -> std::io::Result<ConfigFile> {
    Ok(ConfigFile {
        name: path.display().to_string(),
        contents: std::fs::read_to_string(path)?,
    })
}

async fn admin(mut config: Config, action: AdminAction) -> anyhow::Result<()> {
    let AdminAction::Create {
        email,
        username,
        password_stdin,
    } = action;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    } else {
        None
    };
    secrets::resolve(&mut config)?;
    let app = app::build(config, true).await?;
    let created = agora_platform::identity::users::create_admin(
        app.state.identity(),
        app.state.db(),
        &username,
        &email,
        password,
    )
    .await
    .map_err(anyhow::Error::msg)?;
    println!(
        "created admin {} ({})",
        created.user.username, created.user.email
    );
    if let Some(password) = created.generated_password {
        println!("generated password (shown once): {password}");
    }
    Ok(())
}

async fn run_server(mut config: Config, migrate: bool) -> anyhow::Result<()> {
    // What can be checked without side effects is checked first: a busy port or a bad schedule
    // stops the start before a secret is generated or a migration applied.
    let listen = config.server.listen;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    app::Assembly::default().check_schedules(&config)?;
    secrets::resolve(&mut config)?;
    let app = app::build(config, migrate).await?;
    let address = listener.local_addr()?;
    let db = app.state.db();
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        database = %format!(
            "{} {}",
            db.kind_name(),
            agora_core::config::redact_url_password(&app.state.config().database.url)
        ),
        modules = %app::Assembly::default().enabled_products(app.state.config()).join(","),
        "Agora listening on http://{address} (docs: http://{address}/docs)"
    );
    serve::serve(listener, app, serve::shutdown_signal()).await?;
    Ok(())
}

async fn migrate(config: Config, action: MigrateAction) -> anyhow::Result<()> {
    let db = app::connect(&config).await?;
    let migrator = app::migrator();
    match action {
        MigrateAction::Up => {
            let applied = migrator.up(&db).await.context("migration failed")?;
            println!("applied {applied} migration(s)");
        }
        MigrateAction::Down { steps, yes } => {
            if steps == 0 {
                bail!("--steps must be at least 1");
            }
            let applied: Vec<String> = migrator
                .status(&db)
                .await
                .context("reading migrations failed")?
                .into_iter()
                .filter(|m| m.applied)
                .map(|m| m.name)
                .collect();
            let reverted: Vec<&String> = applied.iter().rev().take(steps as usize).collect();
            if reverted.is_empty() {
                println!("no migration is applied; nothing to revert");
                return Ok(());
            }
            println!("this reverts, dropping their tables and every row in them:");
            for name in &reverted {
                println!("  {name}");
            }
            if !yes && !confirm("revert them?")? {
                bail!("nothing reverted (answer y, or pass --yes)");
            }
            migrator
                .down(&db, steps)
                .await
                .context("reverting failed")?;
            println!("reverted {} migration(s)", reverted.len());
        }
        MigrateAction::Status => {
            for state in migrator
                .status(&db)
                .await
                .context("reading migrations failed")?
            {
                let mark = if state.applied { "applied" } else { "pending" };
                println!("{mark:8} {}", state.name);
            }
        }
    }
    db.close().await;
    Ok(())
}

/// Asks a yes/no question on the terminal; without a terminal the answer is no.
fn confirm(question: &str) -> anyhow::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES"))
}

fn print_config(config: &Config) {
    for (setting, value, origin) in config.effective() {
        let value = if setting.secret && value.is_empty() {
            "(unset; generated at start in development)".to_owned()
        } else {
            format!("{value:?}")
        };
        println!("{} = {value}  # {}: {origin}", setting.key, setting.env);
    }
}

/// Exit status for an error: 2 for configuration mistakes, 1 for everything else.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.downcast_ref::<ConfigError>().is_some()
        || err.to_string().starts_with("invalid configuration")
    {
        2
    } else {
        1
    }
}

//! `agora tasks export --user NAME`: one user's tasks as JSON lines, oldest first, for an
//! operator answering a data-export request without the API.

use std::io::Write;

use agora_core::UserId;
use agora_platform::AppState;
use agora_platform::identity::users;
use agora_platform::module::ModuleCommand;
use anyhow::Context;
use clap::{Arg, ArgMatches, Command};
use futures::FutureExt;
use futures::future::BoxFuture;

use crate::tasks::model::{SortKey, SortOrder, TaskFilter};
use crate::tasks::queries::{self, ListQuery};

pub const COMMAND: ModuleCommand = ModuleCommand { cli, run };

fn cli() -> Command {
    Command::new("tasks")
        .about("The tasks module")
        .subcommand_required(true)
        .subcommand(
            Command::new("export")
                .about("Print a user's tasks as JSON lines (one task per line, oldest first)")
                .arg(
                    Arg::new("user")
                        .long("user")
                        .required(true)
                        .value_name("USERNAME_OR_EMAIL")
                        .help("Whose tasks"),
                ),
        )
}

fn run(state: AppState, matches: ArgMatches) -> BoxFuture<'static, anyhow::Result<()>> {
    async move {
        match matches.subcommand() {
            Some(("export", args)) => {
                let login = args
                    .get_one::<String>("user")
                    .context("--user is required")?;
                let mut out = std::io::BufWriter::new(std::io::stdout());
                export(&state, login, &mut out).await?;
                Ok(out.flush()?)
            }
            _ => anyhow::bail!("unknown `agora tasks` command"),
        }
    }
    .boxed()
}

/// Writes every task of the account whose username or email is `login` to `out`.
async fn export(state: &AppState, login: &str, out: &mut impl Write) -> anyhow::Result<()> {
    let conn = state.db().reader();
    let (email, username) = if login.contains('@') {
        (Some(login), None)
    } else {
        (None, Some(login))
    };
    let user = users::find_by_login(conn, email, username)
        .await?
        .with_context(|| format!("no account has the username or email `{login}`"))?;
    let user = UserId(user.id);
    let mut filter = TaskFilter {
        sort: Some(SortKey::Created),
        order: Some(SortOrder::Asc),
        limit: Some(100),
        ..TaskFilter::default()
    };
    loop {
        let query = ListQuery::new(filter.clone(), 100).map_err(|err| anyhow::anyhow!("{err}"))?;
        let page = queries::list(conn, user, &query, agora_core::time::now()).await?;
        for task in &page.items {
            serde_json::to_writer(&mut *out, task)?;
            out.write_all(b"\n")?;
        }
        match page.next_cursor {
            Some(cursor) => filter.cursor = Some(cursor),
            None => return Ok(()),
        }
    }
}

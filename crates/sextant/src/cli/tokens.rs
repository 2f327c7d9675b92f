//! `sextant token create|list|revoke`: access tokens kept in the store itself (SQLite's
//! meta.db or PostgreSQL), which every `sextant serve` over that store accepts.

use clap::Subcommand;
use sextant::{ExperimentTracker, NewToken, Role};
use sextant_core::Env;
use sextant_native::SystemEnv;

use super::commands::{print_json, Out};
use super::table::{Align, Table};
use super::CliResult;

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Make a token and print its secret (shown this once only).
    Create {
        /// A name to recognise it by; recorded on the runs it creates.
        name: String,
        /// What it may do: read (dashboard, API reads), write (also logging) or admin
        /// (also managing tokens over the API).
        #[arg(long, default_value = "write")]
        role: Role,
    },
    /// List tokens (never their secrets), revoked ones included.
    List,
    /// Revoke the active token of this name; servers refuse it within seconds.
    Revoke {
        /// The token's name.
        name: String,
    },
}

pub(crate) fn run(
    tracker: &ExperimentTracker,
    cmd: TokenCommand,
    json: bool,
    out: Out,
) -> CliResult {
    let store = sextant_core::store::tokens_of(tracker.store().as_ref())?;
    match cmd {
        TokenCommand::Create { name, role } => {
            let secret = sextant_native::new_token_secret()?;
            let token = NewToken::new(&name, role, &secret, SystemEnv.now_unix_millis())?;
            pollster::block_on(store.add_token(&token))?;
            if json {
                return print_json(
                    out,
                    &serde_json::json!({ "name": name, "role": role, "secret": secret }),
                );
            }
            writeln!(out, "{secret}")?;
            eprintln!("token {name:?} ({role}) created; its secret above is shown only now");
        }
        TokenCommand::List => {
            let list = pollster::block_on(store.list_tokens())?;
            if json {
                return print_json(out, &list);
            }
            let mut table = Table::new(&[
                ("NAME", Align::Left),
                ("ROLE", Align::Left),
                ("SECRET", Align::Left),
                ("CREATED", Align::Left),
                ("LAST USED", Align::Left),
                ("REVOKED", Align::Left),
            ]);
            let when = |ms: Option<i64>| ms.map_or_else(|| "-".to_string(), super::table::time);
            for t in &list {
                table.row(vec![
                    t.name.clone(),
                    t.role.to_string(),
                    format!("{}…", t.prefix),
                    when(Some(t.created_at)),
                    when(t.last_used_at),
                    when(t.revoked_at),
                ]);
            }
            table.write(out, "")?;
        }
        TokenCommand::Revoke { name } => {
            pollster::block_on(store.revoke_token(&name, SystemEnv.now_unix_millis()))?;
            if json {
                return print_json(out, &serde_json::json!({ "revoked": name }));
            }
            writeln!(out, "revoked token {name:?}")?;
        }
    }
    Ok(())
}

//! The `atendebem-server` command line: `serve`, `migrate`, `db init`, `print-default-config`
//! and the admin console (`admin ...`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use serde::Serialize;
use uuid::Uuid;

use crate::admin::{self, AdminError, Console};
use crate::auth::Auth;
use crate::auth::password::Hasher;
use crate::auth::tokens::{self, KeyRing};
use crate::config::{Secret, Settings};
use crate::db;
use crate::http::{self, AppState, Limits};
use crate::metrics::Metrics;
use crate::notify::Bus;

#[derive(Debug, Parser)]
#[command(
    name = "atendebem-server",
    version,
    about = "Servidor de sincronização AtendeBem"
)]
pub struct Cli {
    /// TOML configuration file (also `ATENDEBEM_CONFIG`).
    #[arg(long, global = true, env = "ATENDEBEM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the server.
    Serve,
    /// Applies the database migrations (as the owner role) and creates the first signing key.
    Migrate,
    /// Prints the default configuration as TOML.
    PrintDefaultConfig,
    /// Database bootstrap (run once, with a superuser connection).
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// The admin console.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Creates the roles `atendebem_owner` and `atendebem_app` and the database, if missing.
    Init {
        /// A superuser connection (e.g. postgres://postgres@127.0.0.1/postgres).
        #[arg(long, env = "ATENDEBEM_SUPERUSER_URL")]
        superuser_url: String,
        /// Database name.
        #[arg(long, default_value = "atendebem")]
        database: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "starter", value_parser = ["free", "starter", "professional", "enterprise"])]
        plan: String,
    },
    List,
    Suspend {
        slug: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        /// Read the initial password from standard input (the user must change it at first login).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    Disable {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
    },
    /// Sets a new password (read from standard input), unlocks the account and ends its sessions.
    ResetPassword {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    List {
        #[arg(long)]
        tenant: String,
    },
    Revoke {
        id: Uuid,
        /// The clinic (optional: searched in all clinics otherwise).
        #[arg(long)]
        tenant: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recomputes the hash chain; exits non-zero at the first broken link.
    Verify {
        #[arg(long)]
        tenant: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("erro: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("erro: não foi possível iniciar o runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(cli, settings))
}

fn init_logging(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("ATENDEBEM_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.log_format == "pretty" {
        let _ = builder.try_init();
    } else {
        let _ = builder.json().try_init();
    }
}

async fn run(cli: Cli, settings: Settings) -> ExitCode {
    let json = cli.json;
    let result = match cli.command {
        Command::PrintDefaultConfig => {
            print!("{}", Settings::default_toml());
            Ok(())
        }
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(&settings).await,
        Command::Db {
            command: DbCommand::Init {
                superuser_url,
                database,
            },
        } => db_init(&Secret::new(superuser_url), &database).await,
        Command::Admin { command } => return admin(command, &settings, json).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erro: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let pool = db::connect(&settings.database_url, settings.database_max_connections).await?;
    let keys = KeyRing::load(&pool, &settings.auth).await?;
    let hasher = Hasher::new(settings.auth.argon2_memory_kib, settings.auth.argon2_iterations)
        .map_err(|e| anyhow::anyhow!("parâmetros Argon2 inválidos: {e}"))?;
    let bus = Bus::new();
    let listener_bus = bus.clone();
    let listener_pool = pool.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = listener_bus.clone().run(listener_pool.clone()).await {
                tracing::warn!(error = %e, "LISTEN connection lost; retrying");
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    });
    let state = AppState {
        pool,
        auth: Auth {
            settings: settings.auth.clone(),
            hasher,
            keys: Arc::new(keys),
        },
        limits: Arc::new(Limits::new(&settings)),
        metrics: Arc::new(Metrics::new()),
        bus,
        relay: crate::sync::relay::Relay::new(),
        doc_cache: Arc::new(crate::sync::store::DocCache::new(
            settings.limits.document_cache_entries,
        )),
        settings: Arc::new(settings.clone()),
    };
    tokio::spawn(crate::sync::run_relay(state.clone()));
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    println!("listening on http://{addr}");
    http::serve(state, listener, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let pool = db::connect(&settings.owner_database_url, 2).await?;
    db::MIGRATOR.run(&pool).await?;
    let created = tokens::ensure_signing_key(&pool).await?;
    println!(
        "migrações aplicadas{}",
        if created {
            "; chave de assinatura criada"
        } else {
            ""
        }
    );
    Ok(())
}

/// Roles and database, idempotently. The app role may log in but owns nothing and bypasses
/// nothing; set passwords for both roles on any non-local installation.
pub async fn db_init(superuser: &Secret, database: &str) -> anyhow::Result<()> {
    if !database.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || database.is_empty() {
        anyhow::bail!("nome de banco inválido (use letras, dígitos e _)");
    }
    let pool = db::connect(superuser, 1).await?;
    for stmt in [
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atendebem_owner') THEN \
         CREATE ROLE atendebem_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB; END IF; END $$",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atendebem_app') THEN \
         CREATE ROLE atendebem_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB; END IF; END $$",
    ] {
        // Two processes may race to create the role: a duplicate is fine.
        if let Err(e) = sqlx::query(stmt).execute(&pool).await {
            let duplicate = e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "23505" || c == "42710");
            if !duplicate {
                return Err(e.into());
            }
        }
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(database)
        .fetch_one(&pool)
        .await?;
    if !exists {
        let stmt = format!("CREATE DATABASE \"{database}\" OWNER atendebem_owner");
        sqlx::query(sqlx::AssertSqlSafe(stmt)).execute(&pool).await?;
        let stmt = format!("REVOKE ALL ON DATABASE \"{database}\" FROM PUBLIC");
        sqlx::query(sqlx::AssertSqlSafe(stmt)).execute(&pool).await?;
        let stmt = format!("GRANT CONNECT ON DATABASE \"{database}\" TO atendebem_app");
        sqlx::query(sqlx::AssertSqlSafe(stmt)).execute(&pool).await?;
    }
    // PostgreSQL 15 no longer lets PUBLIC create in `public`; the owner must.
    pool.close().await;
    println!("papéis e banco '{database}' prontos");
    Ok(())
}

#[derive(Serialize)]
struct ErrorOut<'a> {
    code: &'a str,
    message: String,
}

fn print_out<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T)) {
    if json {
        println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
    } else {
        human(value);
    }
}

async fn admin(command: AdminCommand, settings: &Settings, json: bool) -> ExitCode {
    let pool = match db::connect(&settings.owner_database_url, 2).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("erro: não foi possível conectar ao banco: {e}");
            return ExitCode::FAILURE;
        }
    };
    let console = Console::new(pool);
    let hasher = || {
        Hasher::new(settings.auth.argon2_memory_kib, settings.auth.argon2_iterations).map_err(|_| {
            AdminError::Input {
                code: "config",
                message: "parâmetros Argon2 inválidos".into(),
            }
        })
    };
    let password = || {
        admin::read_password_stdin().map_err(|_| AdminError::Input {
            code: "password.stdin",
            message: "não foi possível ler a senha".into(),
        })
    };
    let result: Result<ExitCode, AdminError> = async {
        match command {
            AdminCommand::Tenant { command } => match command {
                TenantCommand::Create { slug, name, plan } => {
                    let t = console.tenant_create(&slug, &name, &plan).await?;
                    print_out(json, &t, |t| {
                        println!("clínica criada: {} ({}) id={}", t.slug, t.name, t.id)
                    });
                }
                TenantCommand::List => {
                    let list = console.tenant_list().await?;
                    print_out(json, &list, |l| {
                        for t in l {
                            println!("{:<24} {:<10} {:<12} {}", t.slug, t.status, t.plan, t.name);
                        }
                    });
                }
                TenantCommand::Suspend { slug } => {
                    let t = console.tenant_suspend(&slug).await?;
                    print_out(json, &t, |t| println!("clínica suspensa: {}", t.slug));
                }
            },
            AdminCommand::User { command } => match command {
                UserCommand::Create {
                    tenant,
                    email,
                    name,
                    role,
                    password_stdin: _,
                } => {
                    let pw = password()?;
                    let u = console
                        .user_create(&tenant, &email, &name, &role, &pw, &hasher()?)
                        .await?;
                    print_out(json, &u, |u| {
                        println!("usuário criado: {} ({}) id={}", u.email, u.role, u.id)
                    });
                }
                UserCommand::Disable { tenant, email } => {
                    let u = console.user_disable(&tenant, &email).await?;
                    print_out(json, &u, |u| println!("usuário desativado: {}", u.email));
                }
                UserCommand::ResetPassword {
                    tenant,
                    email,
                    password_stdin: _,
                } => {
                    let pw = password()?;
                    let u = console
                        .user_reset_password(&tenant, &email, &pw, &hasher()?)
                        .await?;
                    print_out(json, &u, |u| {
                        println!(
                            "senha redefinida (troca obrigatória no próximo acesso): {}",
                            u.email
                        )
                    });
                }
                UserCommand::List { tenant } => {
                    let list = console.user_list(&tenant).await?;
                    print_out(json, &list, |l| {
                        for u in l {
                            let lock = if u.locked { " BLOQUEADO" } else { "" };
                            println!(
                                "{:<32} {:<13} {:<9}{} {}",
                                u.email, u.role, u.status, lock, u.name
                            );
                        }
                    });
                }
            },
            AdminCommand::Device { command } => match command {
                DeviceCommand::List { tenant } => {
                    let list = console.device_list(&tenant).await?;
                    print_out(json, &list, |l| {
                        for d in l {
                            let state = if d.revoked_at.is_some() {
                                "revogado"
                            } else {
                                "ativo"
                            };
                            println!("{} {:<9} visto por último {}", d.id, state, d.last_seen_at);
                        }
                    });
                }
                DeviceCommand::Revoke { id, tenant } => {
                    let t = console.device_revoke(id, tenant.as_deref()).await?;
                    print_out(
                        json,
                        &serde_json::json!({"device_id": id, "tenant_id": t, "revoked": true}),
                        |_| {
                            println!("dispositivo revogado: {id}");
                        },
                    );
                }
            },
            AdminCommand::Audit {
                command: AuditCommand::Verify { tenant },
            } => {
                let v = console.audit_verify(&tenant).await?;
                print_out(json, &v, |v| match &v.first_broken {
                    None => println!("trilha íntegra: {} registros verificados", v.rows),
                    Some(b) => println!(
                        "trilha ADULTERADA: primeiro elo quebrado na sequência {} ({})",
                        b.seq, b.reason
                    ),
                });
                if v.first_broken.is_some() {
                    return Ok(ExitCode::from(3));
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }
    .await;
    match result {
        Ok(code) => code,
        Err(e) => {
            if json {
                let out = ErrorOut {
                    code: e.code(),
                    message: e.to_string(),
                };
                println!("{}", serde_json::to_string(&out).unwrap_or_default());
            }
            eprintln!("erro: {e}");
            ExitCode::FAILURE
        }
    }
}

//! Finds PostgreSQL and NATS the same way for `kumppani dev` and the tests:
//! `DATABASE_URL` / `NATS_URL` when set, otherwise a throwaway PostgreSQL
//! (initdb + pg_ctl in a temporary directory) and `nats-server -js`, started
//! as child processes and stopped when the [`Infra`] is dropped, or, when it
//! never is (the tests keep theirs in a `static`, which Rust does not drop;
//! a process killed outright), by a watchdog that stops them once this
//! process is gone: each test binary used to leave a PostgreSQL and a NATS
//! running behind it.

use anyhow::Context;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Running infrastructure (maybe our own child processes).
pub struct Infra {
    /// Admin URL of the `postgres` maintenance database.
    pub admin_url: String,
    pub nats_url: String,
    pg_stop: Option<(PathBuf, PathBuf, Option<u32>)>,
    nats: Option<Child>,
    _dir: Option<TempDir>,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const INSTALL_HINT: &str = "install PostgreSQL and NATS (Debian/Ubuntu: apt-get install postgresql nats-server), \
     or point DATABASE_URL and NATS_URL at running servers";

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Finds a server binary on PATH or in the Debian PostgreSQL folders.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).map(|d| d.join(name)).collect()).unwrap_or_default();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path().join("bin").join(name))).collect();
        versions.sort();
        versions.reverse();
        candidates.extend(versions);
    }
    candidates.push(PathBuf::from("/usr/sbin").join(name));
    candidates.into_iter().find(|p| p.is_file())
}

/// uid/gid of a user from /etc/passwd.
fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&name)).then(|| Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?))).flatten()
    })
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

fn wait_for_port(port: u16, what: &str, timeout: Duration) -> anyhow::Result<()> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    anyhow::bail!("{what} did not start listening on port {port} within {timeout:?}")
}

impl Infra {
    /// Uses `DATABASE_URL` / `NATS_URL` when set, otherwise starts throwaway servers.
    pub fn start() -> anyhow::Result<Self> {
        let db_env = kumppani_platform::config::var_opt("DATABASE_URL");
        let nats_env = kumppani_platform::config::var_opt("NATS_URL");
        let dir = if db_env.is_none() || nats_env.is_none() {
            let d = std::env::temp_dir().join(format!("kumppani-dev-{}", uuid_like()));
            std::fs::create_dir_all(&d)?;
            Some(TempDir(d))
        } else {
            None
        };
        let mut infra = Self { admin_url: String::new(), nats_url: String::new(), pg_stop: None, nats: None, _dir: None };
        match db_env {
            Some(url) => infra.admin_url = url,
            None => {
                let root = dir.as_ref().map(|d| d.0.clone()).unwrap_or_default();
                infra.admin_url = infra.start_postgres(&root)?;
            }
        }
        match nats_env {
            Some(url) => infra.nats_url = url,
            None => {
                let root = dir.as_ref().map(|d| d.0.clone()).unwrap_or_default();
                infra.nats_url = infra.start_nats(&root)?;
            }
        }
        if let Some(d) = &dir {
            infra.watch(&d.0);
        }
        infra._dir = dir;
        Ok(infra)
    }

    /// Starts a detached shell (its own session, so a Ctrl-C to this process
    /// group does not end it first) that waits for this process to end, then
    /// stops the private PostgreSQL (immediate shutdown of its postmaster) and
    /// NATS and removes their directory. After a normal drop it finds nothing
    /// left to stop.
    fn watch(&self, root: &Path) {
        let nats = self.nats.as_ref().map(|c| c.id().to_string()).unwrap_or_default();
        let script = r#"while kill -0 "$1" 2>/dev/null; do sleep 2; done
pid_file="$2/pg/postmaster.pid"
[ -f "$pid_file" ] && kill -QUIT "$(head -n 1 "$pid_file")" 2>/dev/null
[ -n "$3" ] && kill "$3" 2>/dev/null
sleep 2
rm -rf "$2""#;
        let (program, mut args) = match find_binary("setsid") {
            Some(setsid) => (setsid, vec!["sh".to_owned()]),
            None => (PathBuf::from("sh"), Vec::new()),
        };
        args.extend(["-c".to_owned(), script.to_owned(), "kumppani-infra-watchdog".to_owned()]);
        args.extend([std::process::id().to_string(), root.display().to_string(), nats]);
        let started = Command::new(program).args(&args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn();
        if let Err(e) = started {
            eprintln!("the watchdog of the private PostgreSQL and NATS did not start ({e}); stop them by hand if this process is killed");
        }
    }

    fn start_postgres(&mut self, root: &Path) -> anyhow::Result<String> {
        let initdb = find_binary("initdb").with_context(|| format!("initdb not found: {INSTALL_HINT}"))?;
        let pg_ctl = find_binary("pg_ctl").with_context(|| format!("pg_ctl not found: {INSTALL_HINT}"))?;
        let data = root.join("pg");
        std::fs::create_dir_all(&data)?;
        // initdb refuses to run as root: run the server as the `postgres` (or `nobody`) user.
        let run_as = if is_root() { user_ids("postgres").or_else(|| user_ids("nobody")) } else { None };
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(root, Some(uid), Some(gid))?;
            std::os::unix::fs::chown(&data, Some(uid), Some(gid))?;
        }
        let port = free_port()?;
        let command = |bin: &Path| {
            let mut c = Command::new(bin);
            if let Some((uid, gid)) = run_as {
                use std::os::unix::process::CommandExt;
                c.uid(uid).gid(gid);
            }
            c.stdout(Stdio::null()).stderr(Stdio::piped());
            c
        };
        let out = command(&initdb)
            .args(["-D"])
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])
            .output()
            .context("running initdb")?;
        anyhow::ensure!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let opts = format!("-h 127.0.0.1 -p {port} -k {} -c fsync=off -c max_connections=300", root.display());
        let out = command(&pg_ctl)
            .arg("-D")
            .arg(&data)
            .args(["-o", &opts, "-l"])
            .arg(root.join("pg.log"))
            .args(["-w", "start"])
            .output()
            .context("running pg_ctl start")?;
        anyhow::ensure!(
            out.status.success(),
            "pg_ctl start failed: {} (log: {})",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(root.join("pg.log")).unwrap_or_default()
        );
        self.pg_stop = Some((pg_ctl, data, run_as.map(|(u, _)| u)));
        wait_for_port(port, "PostgreSQL", Duration::from_secs(30))?;
        Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
    }

    fn start_nats(&mut self, root: &Path) -> anyhow::Result<String> {
        let bin = find_binary("nats-server").with_context(|| format!("nats-server not found: {INSTALL_HINT}"))?;
        let port = free_port()?;
        let store = root.join("nats");
        std::fs::create_dir_all(&store)?;
        let child = Command::new(bin)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(&store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nats-server")?;
        self.nats = Some(child);
        wait_for_port(port, "nats-server", Duration::from_secs(30))?;
        Ok(format!("nats://127.0.0.1:{port}"))
    }

    /// Admin URL of another database on the same server.
    pub fn database_url(&self, database: &str) -> anyhow::Result<String> {
        let mut url = url::Url::parse(&self.admin_url)?;
        url.set_path(&format!("/{database}"));
        Ok(url.to_string())
    }
}

fn uuid_like() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Drop for Infra {
    fn drop(&mut self) {
        if let Some(mut n) = self.nats.take() {
            let _ = n.kill();
            let _ = n.wait();
        }
        if let Some((pg_ctl, data, uid)) = self.pg_stop.take() {
            let mut c = Command::new(pg_ctl);
            if let Some(uid) = uid {
                use std::os::unix::process::CommandExt;
                c.uid(uid);
            }
            let _ = c.arg("-D").arg(data).args(["-m", "immediate", "-w", "stop"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        }
    }
}

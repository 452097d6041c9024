//! Where export batches go: a directory (on Kubernetes a mounted volume the
//! group's transfer picks up) or the group billing's SFTP server. Chosen once
//! at start-up from typed configuration; a bad setting stops the process with
//! a message naming the variable.
//!
//! | variable | meaning |
//! | --- | --- |
//! | `KUMPPANI_EXPORT_SINK` | `dir:/path` or `sftp://user@host[:port]/remote/dir` (`/~/dir`: under the login directory). Unset: the directory sink |
//! | `KUMPPANI_EXPORT_DIR` | the directory when `KUMPPANI_EXPORT_SINK` is unset (older spelling of `dir:`); default the temporary directory's `kumppani-exports` |
//! | `KUMPPANI_EXPORT_SFTP_KEY_FILE` or `KUMPPANI_EXPORT_SFTP_KEY` | the client's private key (OpenSSH format, unencrypted, ed25519 or ECDSA): a path, or the key itself |
//! | `KUMPPANI_EXPORT_SFTP_HOST_KEY` | the server's host key as an OpenSSH public key line (`ssh-ed25519 AAAA…`, as `ssh-keyscan` prints it, with or without the host in front). Required: an unknown host key is never accepted |

use super::sftp;
use kumppani_platform::config::ConfigError;
use kumppani_platform::{AppError, ErrorCode};
use russh::keys::{Algorithm, PrivateKey, PublicKey};
use std::path::PathBuf;
use std::sync::Arc;

pub const SINK_VAR: &str = "KUMPPANI_EXPORT_SINK";
pub const DIR_VAR: &str = "KUMPPANI_EXPORT_DIR";
pub const KEY_FILE_VAR: &str = "KUMPPANI_EXPORT_SFTP_KEY_FILE";
pub const KEY_VAR: &str = "KUMPPANI_EXPORT_SFTP_KEY";
pub const HOST_KEY_VAR: &str = "KUMPPANI_EXPORT_SFTP_HOST_KEY";

/// The sink of export batches.
#[derive(Debug, Clone)]
pub enum ExportSink {
    /// Batches are folders below this directory.
    Directory(PathBuf),
    /// Batches are folders below a directory of the group billing's SFTP server.
    Sftp(SftpSink),
}

impl Default for ExportSink {
    /// The directory sink in the temporary directory (development, tests).
    fn default() -> Self {
        Self::Directory(std::env::temp_dir().join("kumppani-exports"))
    }
}

/// The group billing's SFTP server: where, as whom, and which host key it must present.
#[derive(Clone)]
pub struct SftpSink {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// Absolute, or relative to the login directory.
    pub remote_dir: String,
    pub(super) key: Arc<PrivateKey>,
    pub(super) host_key: PublicKey,
}

impl std::fmt::Debug for SftpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SftpSink")
            .field("url", &self.url())
            .field("host_key", &self.host_key.fingerprint(Default::default()).to_string())
            .finish_non_exhaustive()
    }
}

fn config_error(var: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError { var: var.to_owned(), reason: reason.into() }
}

/// Host key and client key algorithms this build speaks (russh without its `rsa` feature).
fn supported(alg: &Algorithm) -> bool {
    matches!(alg, Algorithm::Ed25519 | Algorithm::Ecdsa { .. })
}

/// The server's host key from an OpenSSH public key line, optionally preceded
/// by the host names as in `known_hosts` / `ssh-keyscan` output.
pub fn parse_host_key(line: &str) -> Result<PublicKey, String> {
    let line = line.trim();
    let key = PublicKey::from_openssh(line).or_else(|first| match line.split_once(char::is_whitespace) {
        Some((_, rest)) => PublicKey::from_openssh(rest.trim_start()).map_err(|_| first),
        None => Err(first),
    });
    let key = key.map_err(|e| format!("not an OpenSSH public key line (\"ssh-ed25519 AAAA...\"): {e}"))?;
    if !supported(&key.algorithm()) {
        return Err(format!(
            "{} host keys are not supported: give the server's ed25519 or ECDSA host key (ssh-keyscan -t ed25519 <host>)",
            key.algorithm()
        ));
    }
    Ok(key)
}

/// The client's private key (OpenSSH format, unencrypted).
pub fn parse_private_key(pem: &str) -> Result<PrivateKey, String> {
    let key = russh::keys::decode_secret_key(pem, None).map_err(|e| format!("not a usable unencrypted OpenSSH private key: {e}"))?;
    if !supported(&key.algorithm()) {
        return Err(format!("{} keys are not supported: use an ed25519 or ECDSA key (ssh-keygen -t ed25519)", key.algorithm()));
    }
    Ok(key)
}

impl SftpSink {
    /// A sink from its parts; `private_key` is the key file's text and `host_key` an OpenSSH public key line.
    pub fn new(host: &str, port: u16, user: &str, remote_dir: &str, private_key: &str, host_key: &str) -> Result<Self, String> {
        Ok(Self {
            host: host.to_owned(),
            port,
            user: user.to_owned(),
            remote_dir: match remote_dir.trim_end_matches('/') {
                "" if remote_dir.starts_with('/') => "/".to_owned(),
                dir => dir.to_owned(),
            },
            key: Arc::new(parse_private_key(private_key)?),
            host_key: parse_host_key(host_key)?,
        })
    }

    /// `sftp://user@host:port/dir` (the form `KUMPPANI_EXPORT_SINK` takes).
    pub fn url(&self) -> String {
        let dir = if self.remote_dir.starts_with('/') { self.remote_dir.clone() } else { format!("/~/{}", self.remote_dir) };
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        format!("sftp://{}@{host}:{}{dir}", self.user, self.port)
    }
}

/// `sftp://user@host[:port]/path`: (host, port, user, remote dir).
fn parse_sftp_url(value: &str) -> Result<(String, u16, String, String), String> {
    let url = url::Url::parse(value).map_err(|e| format!("not a URL ({e}); expected sftp://user@host[:port]/remote/dir"))?;
    if url.password().is_some() {
        return Err("put no password in the URL: the sink logs in with the key of KUMPPANI_EXPORT_SFTP_KEY_FILE".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("no query or fragment is allowed in the sftp URL".into());
    }
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or("the sftp URL names no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let user = percent_decode(url.username())?;
    if user.is_empty() {
        return Err("the sftp URL names no user (sftp://user@host/dir)".into());
    }
    let path = percent_decode(url.path())?;
    let dir = match path.strip_prefix("/~") {
        Some(rest) => rest.trim_start_matches('/').trim_end_matches('/').to_owned(),
        None => path.trim_end_matches('/').to_owned(),
    };
    if dir.is_empty() {
        return Err("the sftp URL names no remote directory (sftp://user@host/remote/dir, or /~/dir under the login directory)".into());
    }
    Ok((host, url.port().unwrap_or(22), user, dir))
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or("a bad %-escape in the sftp URL")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the sftp URL is not UTF-8 once decoded".to_owned())
}

impl ExportSink {
    /// From the process environment (`kumppani serve invoicing`, `kumppani dev`).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(kumppani_platform::config::var_opt)
    }

    /// From any lookup of variables (empty counts as unset); the tests use a map.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |var: &str| get(var).filter(|v| !v.trim().is_empty());
        let Some(sink) = get(SINK_VAR) else {
            for var in [KEY_FILE_VAR, KEY_VAR, HOST_KEY_VAR] {
                if get(var).is_some() {
                    return Err(config_error(var, format!("is set but {SINK_VAR} is not an sftp:// URL")));
                }
            }
            return Ok(get(DIR_VAR).map_or_else(Self::default, |d| Self::Directory(PathBuf::from(d))));
        };
        if get(DIR_VAR).is_some() {
            return Err(config_error(
                DIR_VAR,
                format!("set either {SINK_VAR} or {DIR_VAR}, not both (dir:/path in {SINK_VAR} replaces {DIR_VAR})"),
            ));
        }
        let sink = sink.trim();
        if let Some(dir) = sink.strip_prefix("dir:") {
            if dir.is_empty() {
                return Err(config_error(SINK_VAR, "dir: names no directory (dir:/var/lib/kumppani/exports)"));
            }
            for var in [KEY_FILE_VAR, KEY_VAR, HOST_KEY_VAR] {
                if get(var).is_some() {
                    return Err(config_error(var, format!("is set but {SINK_VAR} is a directory")));
                }
            }
            return Ok(Self::Directory(PathBuf::from(dir)));
        }
        if !sink.starts_with("sftp://") {
            return Err(config_error(SINK_VAR, format!("{sink:?} is neither dir:/path nor sftp://user@host[:port]/remote/dir")));
        }
        let (host, port, user, dir) = parse_sftp_url(sink).map_err(|e| config_error(SINK_VAR, e))?;
        let (key_var, key) = match (get(KEY_FILE_VAR), get(KEY_VAR)) {
            (Some(path), None) => {
                let text = std::fs::read_to_string(&path).map_err(|e| config_error(KEY_FILE_VAR, format!("cannot read {path:?}: {e}")))?;
                (KEY_FILE_VAR, text)
            }
            (None, Some(text)) => (KEY_VAR, text),
            (Some(_), Some(_)) => return Err(config_error(KEY_VAR, format!("set either {KEY_FILE_VAR} or {KEY_VAR}, not both"))),
            (None, None) => {
                return Err(config_error(
                    KEY_FILE_VAR,
                    format!("required for an sftp sink: the client's private key (or the key itself in {KEY_VAR})"),
                ));
            }
        };
        let key = parse_private_key(&key).map_err(|e| config_error(key_var, e))?;
        let host_key = get(HOST_KEY_VAR).ok_or_else(|| {
            config_error(
                HOST_KEY_VAR,
                "required for an sftp sink: the server's host key line (ssh-keyscan -t ed25519 <host>); an unknown host key is never accepted",
            )
        })?;
        let host_key = parse_host_key(&host_key).map_err(|e| config_error(HOST_KEY_VAR, e))?;
        Ok(Self::Sftp(SftpSink { host, port, user, remote_dir: dir, key: Arc::new(key), host_key }))
    }

    /// Opens the batch `folder` for writing: creates it if missing (and, for
    /// SFTP, connects, checks the host key and logs in).
    pub(crate) async fn open(&self, folder: &str) -> Result<BatchWriter, AppError> {
        match self {
            Self::Directory(root) => {
                let dir = root.join(folder);
                std::fs::create_dir_all(&dir).map_err(|e| {
                    tracing::error!(error = %e, dir = %dir.display(), "creating the export directory failed");
                    AppError::new(ErrorCode::Unavailable, "the export directory cannot be written; try again")
                })?;
                Ok(BatchWriter::Directory(dir))
            }
            Self::Sftp(sink) => Ok(BatchWriter::Sftp(sftp::Upload::start(sink, folder).await?)),
        }
    }
}

/// One batch being written: every file under a temporary name, then renamed.
pub(crate) enum BatchWriter {
    Directory(PathBuf),
    Sftp(sftp::Upload),
}

impl BatchWriter {
    /// Writes (or overwrites) `name` atomically: `.name.tmp`, then renamed.
    pub(crate) async fn put(&mut self, name: &str, content: &[u8]) -> Result<(), AppError> {
        match self {
            Self::Directory(dir) => {
                let tmp = dir.join(format!(".{name}.tmp"));
                std::fs::write(&tmp, content).and_then(|()| std::fs::rename(&tmp, dir.join(name))).map_err(|e| {
                    tracing::error!(error = %e, dir = %dir.display(), "writing an export file failed");
                    AppError::new(ErrorCode::Unavailable, "the export directory cannot be written; try again")
                })
            }
            Self::Sftp(upload) => upload.put(name, content).await,
        }
    }

    /// Where the batch is, as stored with it: the directory's path or the folder's sftp:// URL.
    pub(crate) fn location(&self) -> String {
        match self {
            Self::Directory(dir) => dir.display().to_string(),
            Self::Sftp(upload) => upload.location(),
        }
    }

    /// Ends the batch (closes the SFTP session).
    pub(crate) async fn finish(self) {
        if let Self::Sftp(upload) = self {
            upload.finish().await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    /// A fixed ed25519 key (from a constant seed): valid, and guarding nothing.
    fn keys() -> (String, String) {
        let key = PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&[7; 32]));
        let pem = key.to_openssh(russh::keys::ssh_key::LineEnding::LF).unwrap().to_string();
        (pem, key.public_key().to_openssh().unwrap())
    }

    fn sink(vars: &[(&str, &str)]) -> Result<ExportSink, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        ExportSink::from_lookup(|k| map.get(k).cloned())
    }

    fn var_of(r: Result<ExportSink, ConfigError>) -> String {
        r.unwrap_err().var
    }

    #[test]
    fn the_directory_is_the_default_and_keeps_its_old_variable() {
        let (_, host) = keys();
        assert!(matches!(sink(&[]).unwrap(), ExportSink::Directory(d) if d == std::env::temp_dir().join("kumppani-exports")));
        assert!(matches!(sink(&[(DIR_VAR, "/x")]).unwrap(), ExportSink::Directory(d) if d.as_path() == std::path::Path::new("/x")));
        assert!(matches!(sink(&[(SINK_VAR, "dir:/y")]).unwrap(), ExportSink::Directory(d) if d.as_path() == std::path::Path::new("/y")));
        assert_eq!(var_of(sink(&[(SINK_VAR, "dir:/y"), (DIR_VAR, "/x")])), DIR_VAR);
        assert_eq!(var_of(sink(&[(SINK_VAR, "dir:")])), SINK_VAR);
        assert_eq!(var_of(sink(&[(SINK_VAR, "ftp://a@b/c")])), SINK_VAR);
        assert_eq!(var_of(sink(&[(HOST_KEY_VAR, &host)])), HOST_KEY_VAR);
    }

    #[test]
    fn an_sftp_sink_needs_a_key_and_the_servers_host_key() {
        let (key, host) = keys();
        let (key, host) = (key.as_str(), host.as_str());
        let ok = sink(&[(SINK_VAR, "sftp://laskutus@sftp.konserni.example:2222/inbox/kumppani/"), (KEY_VAR, key), (HOST_KEY_VAR, host)]);
        let ExportSink::Sftp(s) = ok.unwrap() else { panic!("an sftp sink") };
        assert_eq!(
            (s.host.as_str(), s.port, s.user.as_str(), s.remote_dir.as_str()),
            ("sftp.konserni.example", 2222, "laskutus", "/inbox/kumppani")
        );
        assert_eq!(s.url(), "sftp://laskutus@sftp.konserni.example:2222/inbox/kumppani");
        assert!(!format!("{s:?}").contains("PRIVATE"), "the key stays out of logs");
        let home = sink(&[(SINK_VAR, "sftp://u@h/~/out"), (KEY_VAR, key), (HOST_KEY_VAR, &format!("h {host}"))]);
        let ExportSink::Sftp(s) = home.unwrap() else { panic!("an sftp sink") };
        assert_eq!((s.port, s.remote_dir.as_str()), (22, "out"));

        let url = (SINK_VAR, "sftp://u@h/in");
        assert_eq!(var_of(sink(&[url, (KEY_VAR, key)])), HOST_KEY_VAR, "no host key, no connection");
        assert_eq!(var_of(sink(&[url, (KEY_VAR, key), (HOST_KEY_VAR, "ssh-ed25519 nonsense")])), HOST_KEY_VAR);
        assert_eq!(var_of(sink(&[url, (HOST_KEY_VAR, host)])), KEY_FILE_VAR);
        assert_eq!(var_of(sink(&[url, (KEY_VAR, "not a key"), (HOST_KEY_VAR, host)])), KEY_VAR);
        assert_eq!(var_of(sink(&[url, (KEY_FILE_VAR, "/nonexistent/key"), (HOST_KEY_VAR, host)])), KEY_FILE_VAR);
        for bad in ["sftp://h/in", "sftp://u:pw@h/in", "sftp://u@h", "sftp://u@h/in?x=1", "sftp://u@h:99999/in"] {
            assert_eq!(var_of(sink(&[(SINK_VAR, bad), (KEY_VAR, key), (HOST_KEY_VAR, host)])), SINK_VAR, "{bad}");
        }
    }
}

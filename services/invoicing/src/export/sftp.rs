//! The SFTP sink's upload (russh + russh-sftp, pure Rust): connect, refuse
//! any host key but the configured one, log in with the key, create the batch
//! folder if missing, and write every file as `.name.tmp` renamed over `name`
//! (`posix-rename@openssh.com` where the server has it, so a re-export
//! replaces a file in one step). Every failure is an `Unavailable` error that
//! says what went wrong; nothing is recorded as exported then.

use super::sink::{HOST_KEY_VAR, SftpSink};
use kumppani_platform::{AppError, ErrorCode};
use russh::client;
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};
use russh_sftp::client::RawSftpSession;
use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::{FileAttributes, OpenFlags, Packet, StatusCode};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Every SFTP server takes writes of 32 KiB (the protocol's minimum packet).
const DEFAULT_CHUNK: usize = 32 * 1024;
const POSIX_RENAME: &str = "posix-rename@openssh.com";
const LIMITS: &str = "limits@openssh.com";

/// What the server presented when it was not the configured host key.
type Refused = Arc<Mutex<Option<String>>>;

/// Accepts the configured host key and nothing else.
struct HostKeyCheck {
    expected: PublicKey,
    refused: Refused,
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(&mut self, presented: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let (ok, what) = match presented {
            PublicKeyOrCertificate::PublicKey { key, .. } => {
                (key.key_data() == self.expected.key_data(), format!("{} {}", key.algorithm(), key.fingerprint(HashAlg::Sha256)))
            }
            PublicKeyOrCertificate::Certificate(_) => (false, "a certificate".to_owned()),
        };
        if !ok {
            if let Ok(mut r) = self.refused.lock() {
                *r = Some(what);
            }
        }
        Ok(ok)
    }
}

fn unavailable(message: String) -> AppError {
    AppError::new(ErrorCode::Unavailable, message)
}

/// One batch folder on the server, connected and logged in.
pub(crate) struct Upload {
    ssh: client::Handle<HostKeyCheck>,
    sftp: RawSftpSession,
    /// The batch folder's remote path.
    dir: String,
    location: String,
    chunk: usize,
    posix_rename: bool,
}

impl Upload {
    pub(crate) async fn start(sink: &SftpSink, folder: &str) -> Result<Self, AppError> {
        let server = format!("{}:{}", sink.host, sink.port);
        let refused: Refused = Arc::default();
        let mut config = client::Config { inactivity_timeout: Some(Duration::from_secs(120)), ..Default::default() };
        // Ask only for the configured key's kind, so the server shows that one.
        config.preferred.key = std::borrow::Cow::Owned(vec![sink.host_key.algorithm()]);
        let check = HostKeyCheck { expected: sink.host_key.clone(), refused: refused.clone() };
        let connect = client::connect(Arc::new(config), (sink.host.as_str(), sink.port), check);
        let connected = tokio::time::timeout(CONNECT_TIMEOUT, connect).await;
        let mut ssh = match connected {
            Ok(Ok(ssh)) => ssh,
            Ok(Err(e)) => {
                let presented = refused.lock().ok().and_then(|r| r.clone());
                if let Some(presented) = presented {
                    let expected = sink.host_key.fingerprint(HashAlg::Sha256);
                    tracing::error!(%server, %presented, %expected, "the SFTP server's host key is not the configured one: refused");
                    return Err(unavailable(format!(
                        "the group billing SFTP server {server} presented the host key {presented}, not the configured one \
                         ({expected}, {HOST_KEY_VAR}): refused, nothing was exported"
                    )));
                }
                tracing::error!(%server, error = %e, "connecting to the SFTP server failed");
                return Err(unavailable(format!("the group billing SFTP server {server} cannot be reached ({e}); try again")));
            }
            Err(_) => {
                tracing::error!(%server, "connecting to the SFTP server timed out");
                return Err(unavailable(format!(
                    "the group billing SFTP server {server} did not answer within {CONNECT_TIMEOUT:?}; try again"
                )));
            }
        };
        let key = PrivateKeyWithHashAlg::new(sink.key.clone(), None);
        match ssh.authenticate_publickey(sink.user.clone(), key).await {
            Ok(r) if r.success() => {}
            Ok(_) => {
                tracing::error!(%server, user = %sink.user, "the SFTP server refused the export key");
                return Err(unavailable(format!(
                    "the group billing SFTP server {server} refused the login of {} with the configured key",
                    sink.user
                )));
            }
            Err(e) => {
                tracing::error!(%server, error = %e, "logging in to the SFTP server failed");
                return Err(unavailable(format!("logging in to the group billing SFTP server {server} failed ({e}); try again")));
            }
        }
        let sftp = async {
            let channel = ssh.channel_open_session().await?;
            channel.request_subsystem(true, "sftp").await?;
            Ok::<_, russh::Error>(RawSftpSession::new(channel.into_stream()))
        }
        .await
        .map_err(|e| {
            tracing::error!(%server, error = %e, "opening the sftp subsystem failed");
            unavailable(format!("the group billing SFTP server {server} offers no SFTP ({e}); try again"))
        })?;
        let failed = |what: &str, e: SftpError| {
            tracing::error!(%server, error = %e, "{what}");
            unavailable(format!("the group billing SFTP server {server}: {what}: {e}; try again"))
        };
        let version = sftp.init().await.map_err(|e| failed("the SFTP session did not start", e))?;
        let has = |name: &str| version.extensions.get(name).is_some_and(|v| v == "1");
        let mut chunk = DEFAULT_CHUNK;
        if has(LIMITS) {
            if let Ok(limits) = sftp.limits().await {
                chunk = usize::try_from(limits.max_write_len).unwrap_or(DEFAULT_CHUNK).clamp(DEFAULT_CHUNK, 255 * 1024);
            }
        }
        let dir = if sink.remote_dir == "/" { format!("/{folder}") } else { format!("{}/{folder}", sink.remote_dir) };
        if let Err(e) = sftp.mkdir(dir.as_str(), FileAttributes::empty()).await {
            // Already there (a re-export) is fine; anything else is not.
            if sftp.stat(dir.as_str()).await.is_err() {
                return Err(failed("the batch folder cannot be created", e));
            }
        }
        let location = format!("{}/{folder}", sink.url());
        tracing::info!(%location, "writing the export batch over SFTP");
        Ok(Self { ssh, sftp, dir, location, chunk, posix_rename: has(POSIX_RENAME) })
    }

    fn failed(&self, name: &str, e: &SftpError) -> AppError {
        tracing::error!(location = %self.location, file = name, error = %e, "writing an export file over SFTP failed");
        unavailable(format!("writing {name} to the group billing SFTP server failed ({e}); try again"))
    }

    pub(crate) async fn put(&mut self, name: &str, content: &[u8]) -> Result<(), AppError> {
        let tmp = format!("{}/.{name}.tmp", self.dir);
        let target = format!("{}/{name}", self.dir);
        if let Err(e) = self.write(&tmp, content).await {
            let _ = self.sftp.remove(tmp.as_str()).await;
            return Err(self.failed(name, &e));
        }
        self.rename(&tmp, &target).await.map_err(|e| self.failed(name, &e))
    }

    async fn write(&self, path: &str, content: &[u8]) -> Result<(), SftpError> {
        let flags = OpenFlags::CREATE | OpenFlags::TRUNCATE | OpenFlags::WRITE;
        let handle = self.sftp.open(path, flags, FileAttributes::empty()).await?.handle;
        let mut offset = 0u64;
        let mut written = Ok(());
        for part in content.chunks(self.chunk) {
            if let Err(e) = self.sftp.write(handle.as_str(), offset, part.to_vec()).await {
                written = Err(e);
                break;
            }
            offset += part.len() as u64;
        }
        let closed = self.sftp.close(handle).await;
        written?;
        closed.map(|_| ())
    }

    /// Renames over an existing file: in one step with `posix-rename@openssh.com`;
    /// else (plain SFTP v3 refuses to overwrite) remove, then rename.
    async fn rename(&self, from: &str, to: &str) -> Result<(), SftpError> {
        if self.posix_rename {
            let mut data = Vec::with_capacity(8 + from.len() + to.len());
            for s in [from, to] {
                data.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
                data.extend_from_slice(s.as_bytes());
            }
            return match self.sftp.extended(POSIX_RENAME, data).await? {
                Packet::Status(s) if s.status_code == StatusCode::Ok => Ok(()),
                Packet::Status(s) => Err(SftpError::Status(s)),
                _ => Err(SftpError::UnexpectedPacket),
            };
        }
        match self.sftp.remove(to).await {
            Ok(_) => {}
            Err(SftpError::Status(s)) if s.status_code == StatusCode::NoSuchFile => {}
            Err(e) => return Err(e),
        }
        self.sftp.rename(from, to).await.map(|_| ())
    }

    pub(crate) fn location(&self) -> String {
        self.location.clone()
    }

    pub(crate) async fn finish(self) {
        let _ = self.sftp.close_session();
        let _ = self.ssh.disconnect(russh::Disconnect::ByApplication, "", "en").await;
    }
}

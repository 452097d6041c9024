//! The export's SFTP sink against a real OpenSSH `sshd` on loopback, started
//! by the test as a child process with keys it generates: the batch lands as
//! the manifest says (no temporary file left), exporting again gives the same
//! names and bytes, and a server presenting another host key, refusing the
//! login or not answering gets nothing and leaves the batch as it was.
//!
//! Needs OpenSSH's `sshd` and `ssh-keygen` (Debian: openssh-server, openssh-client).
#![allow(clippy::unwrap_used)]

mod support;

use kumppani_invoicing::export::sink::{ExportSink, SftpSink};
use kumppani_platform::auth::Role;
use kumppani_proto::invoicing::v1 as inv;
use sha2::Digest;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::TestEnv;

fn sshd_binary() -> PathBuf {
    let found = ["/usr/sbin/sshd", "/usr/local/sbin/sshd", "/usr/bin/sshd"].into_iter().map(PathBuf::from).find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!("OpenSSH's sshd is not installed: install openssh-server and openssh-client (apt-get install openssh-server openssh-client)")
    })
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e} (install openssh-client for ssh-keygen)"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn keygen(path: &Path) -> String {
    run(Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-C", "kumppani-test", "-f"]).arg(path));
    std::fs::read_to_string(path.with_extension("pub")).unwrap()
}

/// An OpenSSH server on 127.0.0.1 whose sftp user is the current user; killed on drop.
struct Sshd {
    root: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Sshd {
    /// Host keys `a` and `b` (the server presents one at a time), a client key
    /// in authorized_keys, and `inbox/` for the batches.
    fn new() -> Self {
        let root = std::env::temp_dir().join(support::unique("kumppani-sshd-"));
        std::fs::create_dir_all(root.join("inbox")).unwrap();
        for name in ["host_a", "host_b", "client", "stranger"] {
            keygen(&root.join(name));
        }
        std::fs::copy(root.join("client.pub"), root.join("authorized_keys")).unwrap();
        // sshd as root keeps its privilege separation directory here.
        if run(Command::new("id").arg("-u")) == "0" {
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self { root, port, child: None }
    }

    fn public(&self, name: &str) -> String {
        std::fs::read_to_string(self.root.join(format!("{name}.pub"))).unwrap()
    }

    fn inbox(&self) -> PathBuf {
        self.root.join("inbox")
    }

    /// (Re)starts the server presenting the host key `host` on the same port.
    fn start(&mut self, host: &str) {
        self.stop();
        let r = self.root.display();
        let config = format!(
            "Port {}\nListenAddress 127.0.0.1\nHostKey {r}/{host}\nAuthorizedKeysFile {r}/authorized_keys\n\
             PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\nPidFile {r}/sshd.pid\n\
             Subsystem sftp internal-sftp\n",
            self.port
        );
        std::fs::write(self.root.join("sshd_config"), config).unwrap();
        let log = std::fs::File::create(self.root.join("sshd.log")).unwrap();
        let child = Command::new(sshd_binary())
            .args(["-D", "-e", "-f"])
            .arg(self.root.join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            let exited = self.child.as_mut().and_then(|c| c.try_wait().unwrap());
            if exited.is_some() || started.elapsed() > Duration::from_secs(15) {
                let log = std::fs::read_to_string(self.root.join("sshd.log")).unwrap_or_default();
                panic!("sshd did not listen on 127.0.0.1:{} ({exited:?}):\n{log}", self.port);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// The sink as the group billing would configure it: this server's host key `a`.
    fn sink(&self) -> SftpSink {
        let user = run(Command::new("id").arg("-un"));
        let key = std::fs::read_to_string(self.root.join("client")).unwrap();
        SftpSink::new("127.0.0.1", self.port, &user, &self.inbox().display().to_string(), &key, &self.public("host_a")).unwrap()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Every file below `dir` (relative name → bytes).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for folder in std::fs::read_dir(dir).unwrap() {
        let folder = folder.unwrap().path();
        for f in std::fs::read_dir(&folder).unwrap() {
            let f = f.unwrap().path();
            let name = f.strip_prefix(dir).unwrap().display().to_string();
            out.insert(name, std::fs::read(&f).unwrap());
        }
    }
    out
}

fn unavailable<T: std::fmt::Debug>(r: Result<tonic::Response<T>, tonic::Status>) -> String {
    match r {
        Ok(v) => panic!("expected Unavailable, got {v:?}"),
        Err(s) => {
            assert_eq!(s.code(), tonic::Code::Unavailable, "{s:?}");
            s.message().to_owned()
        }
    }
}

#[tokio::test]
async fn a_run_is_exported_over_sftp_atomically_idempotently_and_only_to_the_known_host() {
    let mut sshd = Sshd::new();
    // The server first presents a host key other than the configured one.
    sshd.start("host_b");
    let mut env = TestEnv::start_exporting_to(ExportSink::Sftp(sshd.sink())).await;
    let t = env.staff();
    let run = support::export::last_months_run(&mut env).await;
    env.invoicing.issue_run(env.req(inv::IssueRunRequest { id: run.id.clone() }, &t)).await.unwrap();
    let export = || inv::ExportRunRequest { run_id: run.id.clone() };
    let batches = inv::ListExportBatchesRequest { year: run.year };

    let message = unavailable(env.invoicing.export_run(env.req(export(), &t)).await);
    assert!(message.contains("host key"), "{message}");
    assert!(files(&sshd.inbox()).is_empty(), "nothing is written to a server that is not the known one");
    let listed = env.invoicing.list_export_batches(env.req(batches, &t)).await.unwrap().into_inner();
    assert!(listed.batches.is_empty(), "no batch is recorded: {listed:?}");

    // The known server: the batch lands as its manifest says.
    sshd.start("host_a");
    let batch = env.invoicing.export_run(env.req(export(), &t)).await.unwrap().into_inner();
    assert_eq!((batch.invoice_count, batch.total.as_str(), batch.files.len()), (2, "107.59", 4));
    let folder = batch.location.rsplit('/').next().unwrap().to_owned();
    assert_eq!(batch.location, format!("{}/{folder}", sshd.sink().url()));
    let written = files(&sshd.inbox());
    assert!(written.keys().all(|n| n.starts_with(&format!("{folder}/")) && !n.ends_with(".tmp")), "{:?}", written.keys());
    let manifest: serde_json::Value = serde_json::from_slice(&written[&format!("{folder}/manifest.json")]).unwrap();
    assert_eq!((manifest["invoice_count"].as_u64(), manifest["total"].as_str()), (Some(2), Some("107.59")));
    let listed_files = manifest["files"].as_array().unwrap();
    assert_eq!(written.len(), listed_files.len() + 1, "the manifest lists every other file");
    for f in listed_files {
        let bytes = &written[&format!("{folder}/{}", f["name"].as_str().unwrap())];
        assert_eq!(format!("{:x}", sha2::Sha256::digest(bytes)), f["sha256"].as_str().unwrap());
        assert_eq!(bytes.len() as u64, f["bytes"].as_u64().unwrap());
    }

    // Again: the same batch, names and bytes.
    let again = env.invoicing.export_run(env.req(export(), &t)).await.unwrap().into_inner();
    assert_eq!((again.id.as_str(), again.location.as_str()), (batch.id.as_str(), batch.location.as_str()));
    assert_eq!(files(&sshd.inbox()), written);

    // The group acknowledges one invoice; then every failing export leaves files and batch as they were.
    let group = env.issuer().token_for(Role::SystemClient, None, None, vec!["billing:export".into()]).unwrap();
    let ack = inv::InvoiceAcknowledgement { invoice_id: batch.invoices[0].invoice_id.clone(), accepted: true, reason: String::new() };
    let ack = inv::AcknowledgeExportRequest { batch_id: batch.id.clone(), invoices: vec![ack] };
    env.invoicing.acknowledge_export(env.req(ack, &group)).await.unwrap();
    let get = || inv::GetExportBatchRequest { id: batch.id.clone() };
    let before = env.invoicing.get_export_batch(env.req(get(), &t)).await.unwrap().into_inner();

    std::fs::copy(sshd.root.join("stranger.pub"), sshd.root.join("authorized_keys")).unwrap();
    let message = unavailable(env.invoicing.export_run(env.req(export(), &t)).await);
    assert!(message.contains("refused the login"), "{message}");
    std::fs::copy(sshd.root.join("client.pub"), sshd.root.join("authorized_keys")).unwrap();

    sshd.start("host_b");
    let message = unavailable(env.invoicing.export_run(env.req(export(), &t)).await);
    assert!(message.contains("host key") && message.contains("refused"), "{message}");

    sshd.stop();
    let message = unavailable(env.invoicing.export_run(env.req(export(), &t)).await);
    assert!(message.contains("cannot be reached"), "{message}");

    assert_eq!(files(&sshd.inbox()), written, "no file changed, none added");
    let after = env.invoicing.get_export_batch(env.req(get(), &t)).await.unwrap().into_inner();
    assert_eq!(after, before, "the batch is as it was");
    env.cleanup().await;
}

//! A real SMTP server on loopback for the e-mail tests (feedback's
//! notifications, the partnership's reminders and dispute notices).

/// A real SMTP server on loopback (aiosmtpd from PyPI, in the virtualenv
/// `scripts/test-venv.sh` makes) writing what it receives into a Maildir.
pub struct SmtpServer {
    child: std::process::Child,
    pub port: u16,
    maildir: std::path::PathBuf,
    python: std::path::PathBuf,
}

impl SmtpServer {
    fn python() -> std::path::PathBuf {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = std::process::Command::new("bash").arg(root.join("scripts/test-venv.sh")).output().unwrap();
        assert!(
            out.status.success(),
            "scripts/test-venv.sh failed (python3 -m venv + pip install aiosmtpd):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::path::PathBuf::from(String::from_utf8(out.stdout).unwrap().lines().last().unwrap().trim())
    }

    pub async fn start(port: u16, maildir: std::path::PathBuf) -> Self {
        let python = Self::python();
        let child = std::process::Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .spawn()
            .unwrap();
        super::wait_until("aiosmtpd listening", std::time::Duration::from_secs(30), || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
        })
        .await;
        Self { child, port, maildir, python }
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Every message received: (to, subject, body), decoded by Python's email package.
    pub fn received(&self) -> Vec<(String, String, String)> {
        let script = "import mailbox, json, sys\n\
            out = []\n\
            for m in mailbox.Maildir(sys.argv[1], create=False):\n\
            \x20   b = m.get_payload(decode=True).decode(m.get_content_charset() or 'utf-8')\n\
            \x20   from email.header import decode_header, make_header\n\
            \x20   out.append([m['To'], str(make_header(decode_header(m['Subject']))), b])\n\
            print(json.dumps(out))";
        let out = std::process::Command::new(&self.python).arg("-c").arg(script).arg(&self.maildir).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

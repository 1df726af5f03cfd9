//! A real nginx with WebDAV `PUT` as a Bazel HTTP remote cache (`/ac/…`, `/cas/…` are plain
//! files under its root), for the remote-cache tests and `cargo xtask bench --remote-cache`.
//!
//! Everything lives in one folder the caller owns: the configuration, the pid and log files,
//! the temporary-body folders and the data. It listens on a free loopback port only, runs in
//! the foreground as one child process (`daemon off`, `master_process off`), and is killed and reaped on drop. The binary is
//! Debian's (`nginx-core`, which has the DAV module); `.ci/run` installs it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where Debian puts nginx.
pub const NGINX: &str = "/usr/sbin/nginx";

/// A running nginx.
pub struct Nginx {
    child: Option<Child>,
    dir: PathBuf,
    addr: SocketAddr,
}

impl Nginx {
    /// The nginx binary, when installed.
    pub fn binary() -> Option<PathBuf> {
        let p = PathBuf::from(NGINX);
        p.is_file().then_some(p)
    }

    /// Starts nginx serving `dir/data` on a free loopback port, waiting (at most 10 s) until
    /// it accepts connections.
    pub fn start(dir: &Path) -> Result<Nginx, String> {
        let bin = Nginx::binary()
            .ok_or_else(|| format!("`{NGINX}` is not installed (Debian package `nginx-core`)"))?;
        for sub in ["data", "tmp", "logs"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| format!("mkdir: {e}"))?;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let d = dir.display();
        // One process (no master, no workers): killing the child stops everything, and nothing
        // switches to the `nobody` user that could not write to our folders.
        let conf = format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log {d}/logs/access.log;\n  client_body_temp_path {d}/tmp/body;\n\
               proxy_temp_path {d}/tmp/proxy;\n  fastcgi_temp_path {d}/tmp/fastcgi;\n\
               uwsgi_temp_path {d}/tmp/uwsgi;\n  scgi_temp_path {d}/tmp/scgi;\n\
               client_max_body_size 0;\n  keepalive_requests 100000;\n\
               server {{\n    listen {addr};\n    root {d}/data;\n\
                 location / {{\n      dav_methods PUT;\n      create_full_put_path on;\n      dav_access user:rw group:r all:r;\n    }}\n  }}\n}}\n"
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).map_err(|e| format!("write nginx.conf: {e}"))?;
        let child = Command::new(bin)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("logs/error.log"))
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start nginx: {e}"))?;
        let mut nginx = Nginx {
            child: Some(child),
            dir: dir.to_path_buf(),
            addr,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            let exited = nginx
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default();
                nginx.stop();
                return Err(format!("nginx did not start on {addr}: {log}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(nginx)
    }

    /// The remote cache's base URL (`http://127.0.0.1:PORT/`).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The folder whose `ac/` and `cas/` hold what was uploaded.
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Stops nginx (kill and reap); the data stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

//! A TCP proxy between devices and the server, for fault tests: it forwards both ways and can
//! stop passing the server's bytes after a given count ("trip"), holding the connection until
//! the server side closes — the moment to kill the server mid-transfer.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A proxy on 127.0.0.1 forwarding to `target`; lives as long as the test process.
#[derive(Debug, Clone)]
pub struct Proxy {
    /// `http://127.0.0.1:PORT`, for the devices.
    pub url: String,
    /// Server→device bytes after which the next connection trips (0: never).
    limit: Arc<AtomicU64>,
    tripped: Arc<AtomicBool>,
}

impl Proxy {
    /// Starts forwarding to `target` (`http://host:port` or `host:port`).
    pub fn start(target: &str) -> Self {
        let target = target.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let url = format!("http://{}", listener.local_addr().expect("proxy addr"));
        let proxy = Self {
            url,
            limit: Arc::new(AtomicU64::new(0)),
            tripped: Arc::new(AtomicBool::new(false)),
        };
        let shared = proxy.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&target) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                shared.pump(client, server);
            }
        });
        proxy
    }

    /// The first connection to pass `bytes` of the server's bytes stops passing them.
    pub fn trip_after(&self, bytes: u64) {
        self.tripped.store(false, Ordering::SeqCst);
        self.limit.store(bytes, Ordering::SeqCst);
    }

    /// Waits until a connection tripped (`false` after `wait`).
    pub fn wait_tripped(&self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if self.tripped.load(Ordering::SeqCst) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    fn pump(&self, client: TcpStream, server: TcpStream) {
        let (Ok(mut client_read), Ok(mut server_write)) = (client.try_clone(), server.try_clone()) else {
            return;
        };
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut client_read, &mut server_write);
            let _ = server_write.shutdown(Shutdown::Write);
        });
        let limit = Arc::clone(&self.limit);
        let tripped = Arc::clone(&self.tripped);
        let (mut server_read, mut client_write) = (server, client);
        std::thread::spawn(move || {
            let mut passed = 0u64;
            let mut swallowing = false;
            let mut buf = [0u8; 8192];
            loop {
                let n = match server_read.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if swallowing {
                    // Tripped: nothing more reaches the device until the server goes away.
                    continue;
                }
                let max = limit.load(Ordering::SeqCst);
                let n = if max > 0 {
                    n.min(max.saturating_sub(passed) as usize)
                } else {
                    n
                };
                if client_write.write_all(&buf[..n]).is_err() {
                    break;
                }
                passed += n as u64;
                if max > 0 && passed >= max && limit.swap(0, Ordering::SeqCst) == max {
                    swallowing = true;
                    tripped.store(true, Ordering::SeqCst);
                }
            }
            let _ = client_write.shutdown(Shutdown::Both);
        });
    }
}

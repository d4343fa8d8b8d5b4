//! A WebSocket-aware fault proxy between devices and the server (issue 4, scenario d).
//!
//! Plain HTTP (login, token refresh) passes untouched. On a connection that upgrades to a
//! WebSocket, the proxy reads whole frames (RFC 6455 framing; client frames stay masked, so a
//! frame is forwarded byte for byte) and, for each data frame, by chance: drops it, sends it
//! twice, holds it back and sends it after the next one (re-ordering), delays it, or cuts the
//! connection both ways. Control frames (ping, pong, close) pass as they are.
//!
//! It runs on 127.0.0.1 only, on plain threads, and counts what it did so a test can show that
//! every kind of fault happened.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Drop,
    Duplicate,
    Reorder,
    Delay,
    Cut,
}

/// Per-data-frame probabilities (each in 0..1; their sum at most 1), and faults forced on given
/// data frames (numbered from 1 across all connections) so that every kind surely happens.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub script: Vec<(u64, Fault)>,
    pub drop: f64,
    pub duplicate: f64,
    pub reorder: f64,
    pub delay: f64,
    /// Longest delay, in milliseconds.
    pub max_delay_ms: u64,
    pub cut: f64,
}

/// How many faults the proxy injected so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    pub frames: u64,
    pub dropped: u64,
    pub duplicated: u64,
    pub reordered: u64,
    pub delayed: u64,
    pub cut: u64,
    pub connections: u64,
}

#[derive(Debug, Default)]
struct Counters {
    frames: AtomicU64,
    dropped: AtomicU64,
    duplicated: AtomicU64,
    reordered: AtomicU64,
    delayed: AtomicU64,
    cut: AtomicU64,
    connections: AtomicU64,
}

/// The proxy; lives as long as the test process.
#[derive(Debug, Clone)]
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`, for the devices.
    pub url: String,
    faults: Arc<Mutex<Faults>>,
    counters: Arc<Counters>,
}

impl FaultProxy {
    /// Starts forwarding to `target` (`http://host:port`) with `faults`; `seed` makes each
    /// connection's choices reproducible (connection `n` uses `seed + n`).
    pub fn start(target: &str, faults: Faults, seed: u64) -> Self {
        let target = target.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy bind");
        let proxy = Self {
            url: format!("http://{}", listener.local_addr().expect("proxy addr")),
            faults: Arc::new(Mutex::new(faults)),
            counters: Arc::new(Counters::default()),
        };
        let shared = proxy.clone();
        std::thread::spawn(move || {
            for (n, client) in listener.incoming().flatten().enumerate() {
                let Ok(server) = TcpStream::connect(&target) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let shared = shared.clone();
                std::thread::spawn(move || shared.serve(client, server, seed.wrapping_add(n as u64)));
            }
        });
        proxy
    }

    /// Changes the faults for frames from now on (e.g. none, to let a test settle).
    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().expect("faults") = faults;
    }

    pub fn counts(&self) -> FaultCounts {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::SeqCst);
        FaultCounts {
            frames: get(&c.frames),
            dropped: get(&c.dropped),
            duplicated: get(&c.duplicated),
            reordered: get(&c.reordered),
            delayed: get(&c.delayed),
            cut: get(&c.cut),
            connections: get(&c.connections),
        }
    }

    fn serve(&self, mut client: TcpStream, mut server: TcpStream, seed: u64) {
        // The request head decides: a WebSocket upgrade gets frame faults, anything else passes.
        let Some(request) = read_head(&mut client) else {
            return;
        };
        if server.write_all(&request).is_err() {
            return;
        }
        let upgrade = String::from_utf8_lossy(&request)
            .to_ascii_lowercase()
            .contains("upgrade: websocket");
        let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
            return;
        };
        if !upgrade {
            copy_then_close(client2, server2);
            copy_then_close(server, client);
            return;
        }
        self.counters.connections.fetch_add(1, Ordering::SeqCst);
        let Some(response) = read_head(&mut server) else {
            let _ = client.shutdown(Shutdown::Both);
            return;
        };
        if client.write_all(&response).is_err() {
            return;
        }
        let cut = Arc::new(AtomicBool::new(false));
        let pump = |seed: u64| Pump {
            faults: Arc::clone(&self.faults),
            counters: Arc::clone(&self.counters),
            cut: Arc::clone(&cut),
            rng: StdRng::seed_from_u64(seed),
        };
        let up = pump(seed);
        let down = pump(seed ^ 0x5eed_0000_dead_beef);
        std::thread::spawn(move || up.run(client2, server2));
        down.run(server, client);
    }
}

/// Reads an HTTP head (through the blank line); `None` if the peer closed first.
fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return None,
        }
        if head.len() > 64 * 1024 {
            return None;
        }
    }
    Some(head)
}

fn copy_then_close(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// One direction of a WebSocket connection.
struct Pump {
    faults: Arc<Mutex<Faults>>,
    counters: Arc<Counters>,
    /// Set by either direction when it cuts the connection.
    cut: Arc<AtomicBool>,
    rng: StdRng,
}

impl Pump {
    fn run(mut self, mut from: TcpStream, mut to: TcpStream) {
        let mut held: Option<Vec<u8>> = None;
        while let Some((frame, data)) = read_frame(&mut from) {
            if self.cut.load(Ordering::SeqCst) {
                break;
            }
            if !data {
                if to.write_all(&frame).is_err() {
                    break;
                }
                continue;
            }
            let number = self.counters.frames.fetch_add(1, Ordering::SeqCst) + 1;
            let fault = self.choose(number, held.is_some());
            let c = &self.counters;
            let mut out: Vec<&[u8]> = Vec::new();
            match fault {
                Some(Fault::Cut) => {
                    c.cut.fetch_add(1, Ordering::SeqCst);
                    self.cut.store(true, Ordering::SeqCst);
                    break;
                }
                Some(Fault::Drop) => {
                    c.dropped.fetch_add(1, Ordering::SeqCst);
                }
                Some(Fault::Duplicate) => {
                    c.duplicated.fetch_add(1, Ordering::SeqCst);
                    out.push(&frame);
                    out.push(&frame);
                }
                Some(Fault::Reorder) => {
                    // Sent after the next data frame.
                    c.reordered.fetch_add(1, Ordering::SeqCst);
                    held = Some(frame.clone());
                }
                Some(Fault::Delay) => {
                    c.delayed.fetch_add(1, Ordering::SeqCst);
                    let max = self.faults.lock().expect("faults").max_delay_ms.max(1);
                    let ms = self.rng.random_range(1..=max);
                    std::thread::sleep(Duration::from_millis(ms));
                    out.push(&frame);
                }
                None => out.push(&frame),
            }
            let late = if out.is_empty() { None } else { held.take() };
            let mut ok = out.iter().all(|b| to.write_all(b).is_ok());
            if let Some(late) = late {
                ok &= to.write_all(&late).is_ok();
            }
            if !ok {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    }
}

impl Pump {
    /// The fault for data frame `number`: scripted, else drawn.
    fn choose(&mut self, number: u64, holding: bool) -> Option<Fault> {
        let f = self.faults.lock().expect("faults").clone();
        if let Some((_, fault)) = f.script.iter().find(|(n, _)| *n == number) {
            return Some(*fault).filter(|k| !(holding && *k == Fault::Reorder));
        }
        let roll: f64 = self.rng.random();
        let table = [
            (f.cut, Fault::Cut),
            (f.drop, Fault::Drop),
            (f.duplicate, Fault::Duplicate),
            (f.reorder, Fault::Reorder),
            (f.delay, Fault::Delay),
        ];
        let mut edge = 0.0;
        for (p, fault) in table {
            edge += p;
            if roll < edge {
                // One frame held back at a time.
                return Some(fault).filter(|k| !(holding && *k == Fault::Reorder));
            }
        }
        None
    }
}

/// Reads one whole WebSocket frame: its bytes as received, and whether it carries data
/// (text, binary or continuation) rather than control.
fn read_frame(stream: &mut TcpStream) -> Option<(Vec<u8>, bool)> {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).ok()?;
    let mut frame = head.to_vec();
    let opcode = head[0] & 0x0f;
    let masked = head[1] & 0x80 != 0;
    let len = match head[1] & 0x7f {
        126 => {
            let mut ext = [0u8; 2];
            stream.read_exact(&mut ext).ok()?;
            frame.extend_from_slice(&ext);
            u64::from(u16::from_be_bytes(ext))
        }
        127 => {
            let mut ext = [0u8; 8];
            stream.read_exact(&mut ext).ok()?;
            frame.extend_from_slice(&ext);
            u64::from_be_bytes(ext)
        }
        n => u64::from(n),
    };
    let rest = usize::try_from(len).ok()? + if masked { 4 } else { 0 };
    if rest > 64 << 20 {
        return None;
    }
    let start = frame.len();
    frame.resize(start + rest, 0);
    stream.read_exact(&mut frame[start..]).ok()?;
    Some((frame, opcode < 0x8))
}

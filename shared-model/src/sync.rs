//! The sync wire protocol between desktops and the server (WebSocket, binary frames).
//!
//! A frame is `b"AB"`, one version byte, then a [postcard](https://docs.rs/postcard)-encoded
//! pair: the frame's sequence number and a [`ClientMessage`] or [`ServerMessage`]. A peer that
//! reads an unknown version answers `sync.unsupported_version` and closes; fields are only ever
//! added in a new version.
//!
//! Each side numbers the frames it sends on a connection 1, 2, 3, ... ([`Sequencer`]). A frame
//! seen twice is ignored; a frame that skips a number means one was lost or re-ordered on the
//! way (a faulty proxy or middlebox): the receiver closes with `sync.frame_gap` and the device
//! reconnects from the cursor it has stored. A device waiting for an answer sends `Ping` when
//! the line is quiet, so a lost last frame shows up as a gap before the `Pong`.
//!
//! The exchange is a replicated change log, multiplexed over every document a device may see:
//!
//! 1. the device sends [`ClientMessage::Hello`] with the last server cursor it has stored;
//! 2. the server announces the size of the catch-up ([`ServerMessage::CatchingUp`]) and streams
//!    [`ServerMessage::Docs`] — automerge data (whole compacted documents for
//!    a new device, new changes afterwards), many documents per frame — then
//!    [`ServerMessage::CaughtUp`] and the open [`ServerMessage::Conflicts`];
//! 3. the device sends its local changes in [`ClientMessage::Push`] batches; the server answers
//!    each with [`ServerMessage::Ack`] only after they are committed in PostgreSQL, listing what it
//!    accepted and what it refused (with a stable code);
//! 4. while connected, the server relays other devices' accepted changes as `Docs`.
//!
//! Applying automerge data twice is a no-op, so a frame delivered again after a reconnection is
//! harmless, and a device that lost its cursor simply starts from 0.

use serde::{Deserialize, Serialize};

use crate::documents::DocumentKey;

pub const MAGIC: [u8; 2] = *b"AB";
/// 2: frames carry a sequence number (1 had none).
pub const PROTOCOL_VERSION: u8 = 2;

/// Automerge data for one document: a whole saved document or a run of changes
/// (`save_after`), as accepted by `load_incremental`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocData {
    pub key: DocumentKey,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientMessage {
    /// Starts the exchange: the device has every change up to `cursor` (0 for a new device).
    Hello {
        cursor: u64,
    },
    /// Local changes. `batch` is echoed in the [`ServerMessage::Ack`].
    Push {
        batch: u64,
        docs: Vec<DocData>,
    },
    /// A fresh access token for the same session, before the current one expires.
    Reauth {
        access_token: String,
    },
    Ping {
        nonce: u64,
    },
}

/// Why the server refused a document's changes. Nothing of them was stored or relayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub key: DocumentKey,
    /// Hashes of the refused changes (those the server did not already have).
    pub changes: Vec<[u8; 32]>,
    /// Stable code, e.g. `chart.signed_entry_immutable`, `access.denied`.
    pub code: String,
    /// Brazilian Portuguese, for the person who made the change.
    pub message: String,
}

/// A domain conflict found after a merge; resolving it is an ordinary change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub id: uuid::Uuid,
    pub key: DocumentKey,
    /// `agenda.double_booking` or `chart.concurrent_draft_edit`.
    pub kind: String,
    /// The ids involved (appointment ids; entry id and field names).
    pub subjects: Vec<String>,
    /// Unix milliseconds, server clock.
    pub detected_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerMessage {
    /// The connection is authenticated; `server_time` in Unix milliseconds (NGS1.09.01).
    Welcome {
        server_time: i64,
        role: String,
    },
    /// Documents' data; once applied and stored, the device may record `cursor`.
    Docs {
        docs: Vec<DocData>,
        cursor: u64,
    },
    /// Everything up to `cursor` has been sent.
    CaughtUp {
        cursor: u64,
    },
    /// The outcome of a [`ClientMessage::Push`], sent after the commit.
    Ack {
        batch: u64,
        accepted: Vec<DocumentKey>,
        refused: Vec<Refusal>,
        cursor: u64,
    },
    /// Every open conflict in the documents this device may see (replaces earlier lists).
    Conflicts {
        open: Vec<Conflict>,
    },
    Pong {
        nonce: u64,
    },
    /// The connection ends: `sync.unsupported_version`, `auth.session_ended`, ...
    Error {
        code: String,
        message: String,
    },
    /// A catch-up is starting: about how many [`DocData`] entries and data bytes it will
    /// send, for progress display (the count may change if documents are written meanwhile).
    CatchingUp {
        documents: u64,
        bytes: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("quadro de sincronização curto demais")]
    TooShort,
    #[error("quadro de sincronização com assinatura inválida")]
    BadMagic,
    #[error("versão {0} do protocolo de sincronização não suportada (esperada {PROTOCOL_VERSION})")]
    UnsupportedVersion(u8),
    #[error("quadro de sincronização malformado")]
    Malformed,
    #[error("quadro de sincronização perdido ou fora de ordem (esperado {expected}, recebido {got})")]
    FrameGap { expected: u64, got: u64 },
}

impl crate::ErrorCode for WireError {
    fn code(&self) -> &'static str {
        match self {
            WireError::TooShort | WireError::BadMagic | WireError::Malformed => "sync.malformed_frame",
            WireError::UnsupportedVersion(_) => "sync.unsupported_version",
            WireError::FrameGap { .. } => "sync.frame_gap",
        }
    }
}

/// Encodes a message as frame number `seq` of the current version.
pub fn encode<M: Serialize>(seq: u64, message: &M) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&MAGIC);
    out.push(PROTOCOL_VERSION);
    // Serialising our own types into a Vec cannot fail.
    postcard::to_extend(&(seq, message), out).unwrap_or_default()
}

/// Decodes a frame, checking magic and version: its sequence number and message.
pub fn decode<'a, M: Deserialize<'a>>(frame: &'a [u8]) -> Result<(u64, M), WireError> {
    if frame.len() < 3 {
        return Err(WireError::TooShort);
    }
    if frame[..2] != MAGIC {
        return Err(WireError::BadMagic);
    }
    if frame[2] != PROTOCOL_VERSION {
        return Err(WireError::UnsupportedVersion(frame[2]));
    }
    postcard::from_bytes(&frame[3..]).map_err(|_| WireError::Malformed)
}

/// Numbers the frames one side sends on a connection and checks those it receives.
#[derive(Debug, Default)]
pub struct Sequencer {
    sent: u64,
    received: u64,
}

impl Sequencer {
    /// The next outgoing frame.
    pub fn frame<M: Serialize>(&mut self, message: &M) -> Vec<u8> {
        self.sent += 1;
        encode(self.sent, message)
    }

    /// The message of an incoming frame; `None` for a frame already received (a duplicate).
    pub fn accept<'a, M: Deserialize<'a>>(&mut self, frame: &'a [u8]) -> Result<Option<M>, WireError> {
        let (seq, message) = decode(frame)?;
        if seq <= self.received {
            return Ok(None);
        }
        if seq != self.received + 1 {
            return Err(WireError::FrameGap {
                expected: self.received + 1,
                got: seq,
            });
        }
        self.received = seq;
        Ok(Some(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;
    use crate::ids::PatientId;
    use proptest::prelude::*;

    #[test]
    fn round_trip() {
        let key = DocumentKey::Chart(PatientId::new());
        let messages = vec![
            ClientMessage::Hello { cursor: 42 },
            ClientMessage::Push {
                batch: 7,
                docs: vec![DocData {
                    key,
                    data: vec![1, 2, 3],
                }],
            },
            ClientMessage::Reauth {
                access_token: "t".into(),
            },
            ClientMessage::Ping { nonce: 1 },
        ];
        for (seq, m) in messages.into_iter().enumerate() {
            assert_eq!(
                decode::<ClientMessage>(&encode(seq as u64, &m)),
                Ok((seq as u64, m))
            );
        }
        let m = ServerMessage::Ack {
            batch: 7,
            accepted: vec![key],
            refused: vec![Refusal {
                key,
                changes: vec![[9; 32]],
                code: "x".into(),
                message: "y".into(),
            }],
            cursor: 3,
        };
        assert_eq!(decode::<ServerMessage>(&encode(u64::MAX, &m)), Ok((u64::MAX, m)));
    }

    #[test]
    fn sequencer_ignores_duplicates_and_reports_gaps() {
        let mut sender = Sequencer::default();
        let mut receiver = Sequencer::default();
        let frames: Vec<Vec<u8>> = (0..4)
            .map(|nonce| sender.frame(&ClientMessage::Ping { nonce }))
            .collect();
        let accept = |r: &mut Sequencer, f: &[u8]| r.accept::<ClientMessage>(f);
        assert_eq!(
            accept(&mut receiver, &frames[0]),
            Ok(Some(ClientMessage::Ping { nonce: 0 }))
        );
        assert_eq!(accept(&mut receiver, &frames[0]), Ok(None), "duplicate");
        assert_eq!(
            accept(&mut receiver, &frames[1]),
            Ok(Some(ClientMessage::Ping { nonce: 1 }))
        );
        // Frame 3 lost (or late): frame 4 is a gap.
        let err = accept(&mut receiver, &frames[3]).expect_err("gap");
        assert_eq!(err, WireError::FrameGap { expected: 3, got: 4 });
        assert_eq!(err.code(), "sync.frame_gap");
        // The receiver did not move: the late frame still fits.
        assert_eq!(
            accept(&mut receiver, &frames[2]),
            Ok(Some(ClientMessage::Ping { nonce: 2 }))
        );
    }

    #[test]
    fn bad_frames_have_codes() {
        assert_eq!(decode::<ClientMessage>(b"A"), Err(WireError::TooShort));
        assert_eq!(decode::<ClientMessage>(b"XX\x01\x00"), Err(WireError::BadMagic));
        let err = decode::<ClientMessage>(b"AB\x09\x00").expect_err("version");
        assert_eq!(err.code(), "sync.unsupported_version");
        assert_eq!(
            decode::<ClientMessage>(b"AB\x02\x01\x63"),
            Err(WireError::Malformed)
        );
        let err = decode::<ClientMessage>(b"AB\x01\x00").expect_err("version 1");
        assert_eq!(err.code(), "sync.unsupported_version");
        let mut frame = encode(
            1,
            &ClientMessage::Push {
                batch: 1,
                docs: vec![],
            },
        );
        frame.truncate(frame.len() - 1);
        assert!(decode::<ClientMessage>(&frame).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode::<ClientMessage>(&bytes);
            let mut framed = b"AB\x02".to_vec();
            framed.extend_from_slice(&bytes);
            let _ = decode::<ClientMessage>(&framed);
        }
    }
}

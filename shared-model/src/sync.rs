//! The sync wire protocol between desktops and the server (WebSocket, binary frames).
//!
//! A frame is `b"AB"`, one version byte, then a [postcard](https://docs.rs/postcard)-encoded
//! [`ClientMessage`] or [`ServerMessage`]. A peer that reads an unknown version answers
//! `sync.unsupported_version` and closes; fields are only ever added in a new version.
//!
//! The exchange is a replicated change log, multiplexed over every document a device may see:
//!
//! 1. the device sends [`ClientMessage::Hello`] with the last server cursor it has stored;
//! 2. the server streams [`ServerMessage::Docs`] — automerge data (whole compacted documents for
//!    a new device, new changes afterwards), many documents per frame — then
//!    [`ServerMessage::CaughtUp`] and the open [`ServerMessage::Conflicts`];
//! 3. the device sends its local changes in [`ClientMessage::Push`] batches; the server answers
//!    each with [`ServerMessage::Ack`] only after they are committed in PostgreSQL, listing what it
//!    accepted and what it refused (with a stable code);
//! 4. while connected, the server relays other devices' accepted changes as `Docs`.
//!
//! Applying automerge data twice is a no-op, so duplicated or re-ordered frames are harmless,
//! and a device that lost its cursor simply starts from 0.

use serde::{Deserialize, Serialize};

use crate::documents::DocumentKey;

pub const MAGIC: [u8; 2] = *b"AB";
pub const PROTOCOL_VERSION: u8 = 1;

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
}

impl crate::ErrorCode for WireError {
    fn code(&self) -> &'static str {
        match self {
            WireError::TooShort | WireError::BadMagic | WireError::Malformed => "sync.malformed_frame",
            WireError::UnsupportedVersion(_) => "sync.unsupported_version",
        }
    }
}

/// Encodes a message as a frame of the current version.
pub fn encode<M: Serialize>(message: &M) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&MAGIC);
    out.push(PROTOCOL_VERSION);
    // Serialising our own types into a Vec cannot fail.
    postcard::to_extend(message, out).unwrap_or_default()
}

/// Decodes a frame, checking magic and version.
pub fn decode<'a, M: Deserialize<'a>>(frame: &'a [u8]) -> Result<M, WireError> {
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
        for m in messages {
            assert_eq!(decode::<ClientMessage>(&encode(&m)), Ok(m));
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
        assert_eq!(decode::<ServerMessage>(&encode(&m)), Ok(m));
    }

    #[test]
    fn bad_frames_have_codes() {
        assert_eq!(decode::<ClientMessage>(b"A"), Err(WireError::TooShort));
        assert_eq!(decode::<ClientMessage>(b"XX\x01\x00"), Err(WireError::BadMagic));
        let err = decode::<ClientMessage>(b"AB\x09\x00").expect_err("version");
        assert_eq!(err.code(), "sync.unsupported_version");
        assert_eq!(decode::<ClientMessage>(b"AB\x01\x63"), Err(WireError::Malformed));
        let mut frame = encode(&ClientMessage::Push {
            batch: 1,
            docs: vec![],
        });
        frame.truncate(frame.len() - 1);
        assert!(decode::<ClientMessage>(&frame).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = decode::<ClientMessage>(&bytes);
            let mut framed = b"AB\x01".to_vec();
            framed.extend_from_slice(&bytes);
            let _ = decode::<ClientMessage>(&framed);
        }
    }
}

//! TISS 4.01.00 (Troca de Informações na Saúde Suplementar), the ANS standard for billing health
//! plans. Notes on the schema: `docs/tiss-4.01.00-notes.md`.

pub mod domains;
mod hash;
mod lote;

pub use hash::{HashInput, MessageHashes, TissError, decode_message, epilogue_hash, message_hashes};
pub use lote::{ConsultaGuide, LoteHeader, MAX_GUIDES, TissProfessional, lote_consultas};

//! TISS 4.01.00 (Troca de Informações na Saúde Suplementar), the ANS standard for billing health
//! plans. Notes on the schema: `docs/tiss-4.01.00-notes.md`.

pub mod domains;
mod guides;
mod hash;
mod lote;
mod recurso;
mod returns;
mod write;
#[cfg(feature = "xsd-check")]
pub mod xsd;

pub use guides::{
    Authorization, Beneficiary, ConsultaGuide, Contractor, ExecutedProcedure, Expense, Guide, GuideKind,
    HonorariosGuide, InternacaoGuide, MAX_ITEMS, OdontoExecutor, OdontoGuide, OdontoItem, Procedure,
    ProfessionalCode, SadtGuide, SiteCode, TeamMember, TissProfessional, ToothOrRegion, faces_valid,
};
pub use hash::{HashInput, MessageHashes, TissError, decode_message, epilogue_hash, message_hashes};
pub use lote::{LoteHeader, MAX_GUIDES, lote, lote_message};
pub use recurso::{
    ContestedGuide, ContestedGuideGlosa, ContestedItem, GuideContest, MAX_CONTESTED_GUIDES, Recurso,
    RecursoObject, recurso_glosa, recurso_message,
};
pub use returns::{
    AnalysedGuide, AnalysedItem, AnalysedProtocol, AnalysisStatement, ExpectedParties, Glosa, GlosaLevel,
    GlosaReason, OperatorReturn, ProtocolReceipt, ProviderId, ReceivedGuide, ReturnBody, ReturnHeader,
    parse_return,
};
pub use write::Message;

//! Command-line arguments. Help text is pt-BR (shown to people); names are English and stable
//! (scripts depend on them).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// AtendeBem — réplica local criptografada da clínica, pela linha de comando.
#[derive(Debug, Parser)]
#[command(name = "atendebem", version, about, disable_help_subcommand = true)]
pub struct Cli {
    /// Diretório da réplica (padrão: ~/.local/share/atendebem).
    #[arg(long, global = true, env = "ATENDEBEM_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Saída em JSON; erros com um `code` estável.
    #[arg(long, global = true)]
    pub json: bool,

    /// Usuário que executa o comando (id). Padrão: o primeiro profissional da réplica, ou o
    /// administrador local.
    #[arg(long = "as", global = true, env = "ATENDEBEM_USER", value_name = "USER_ID")]
    pub as_user: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cria a réplica criptografada neste diretório.
    Init(InitArgs),
    /// Pacientes: cadastro e busca.
    #[command(subcommand)]
    Patient(PatientCommand),
    /// Profissionais de saúde.
    #[command(subcommand)]
    Professional(ProfessionalCommand),
    /// Usuários locais desta réplica.
    #[command(subcommand)]
    User(UserCommand),
    /// Agenda: agendamentos.
    #[command(subcommand)]
    Agenda(AgendaCommand),
    /// Prontuário: registros clínicos.
    #[command(subcommand)]
    Note(NoteCommand),
    /// Linha do tempo do prontuário de um paciente.
    Chart(ChartArgs),
    /// Exporta o cadastro e o prontuário de um paciente em JSON.
    Export(ExportArgs),
    /// Preenche a réplica com a clínica de demonstração.
    Demo(DemoArgs),
    /// Gera um backup criptografado da réplica.
    Backup(BackupArgs),
    /// Restaura um backup num diretório sem réplica.
    Restore(RestoreArgs),
    /// Verifica a integridade da réplica (criptografia e banco).
    Check,
    /// Mostra o estado da réplica.
    Status,
    /// Reconstrói os índices locais (busca, agenda, prontuário) a partir dos documentos.
    Reindex,
    /// Entra como um usuário da clínica: online no servidor (no primeiro login cria a réplica
    /// deste computador) ou, sem conexão, com a senha do último login online.
    Login(LoginArgs),
    /// Sincroniza com o servidor: uma rodada (--once) ou continuamente (--watch).
    Sync(SyncArgs),
    /// Conflitos apontados pelo servidor (ex.: dois agendamentos no mesmo horário).
    Conflicts,
    /// Alterações recusadas pelo servidor, guardadas para consulta e cópia.
    Quarantine(QuarantineArgs),
    /// Bloqueia a tela deste computador compartilhado.
    Lock,
    /// Troca de usuário neste computador compartilhado (senha pela entrada padrão).
    SwitchUser(SwitchUserArgs),
    /// Faturamento TISS (ANS).
    #[command(subcommand)]
    Tiss(TissCommand),
    /// Ferramentas de diagnóstico e testes.
    #[command(subcommand, hide = true)]
    Debug(DebugCommand),
}

#[derive(Debug, Subcommand)]
pub enum TissCommand {
    /// Calcula o hash do epílogo de uma mensagem TISS (UTF-8 e ISO-8859-1) e diz se confere
    /// com o que está no arquivo.
    Hash(TissHashArgs),
    /// Confere um arquivo TISS contra o schema oficial 4.01.00 e o hash do epílogo.
    Validate(TissHashArgs),
    /// Operadoras (convênios) faturadas por esta clínica.
    #[command(subcommand)]
    Operator(TissOperatorCommand),
    /// Lista os atendimentos realizados de uma operadora que o próximo lote faturaria.
    Items(TissPeriodArgs),
    /// Gera o lote de guias de consulta dos atendimentos realizados de uma operadora.
    Lote(TissLoteArgs),
    /// Lista os lotes gerados nesta réplica.
    Lotes(TissAnsFilter),
    /// Marca um lote como enviado à operadora.
    Sent(TissSentArgs),
    /// Grava de novo o XML de um lote gerado nesta réplica.
    Xml(TissXmlArgs),
    /// Importa um retorno da operadora (protocolo ou demonstrativo) e lista as glosas.
    Return(TissReturnArgs),
}

#[derive(Debug, Args)]
pub struct TissPeriodArgs {
    /// Registro ANS da operadora.
    #[arg(long)]
    pub ans: String,
    /// Primeiro dia (dd/mm/aaaa ou aaaa-mm-dd).
    #[arg(long)]
    pub from: String,
    /// Último dia.
    #[arg(long)]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct TissAnsFilter {
    /// Só os desta operadora (registro ANS).
    #[arg(long)]
    pub ans: Option<String>,
}

#[derive(Debug, Args)]
pub struct TissSentArgs {
    #[arg(long)]
    pub ans: String,
    /// Número do lote.
    #[arg(long)]
    pub lote: i64,
}

#[derive(Debug, Args)]
pub struct TissXmlArgs {
    #[command(flatten)]
    pub lote: TissSentArgs,
    /// Onde gravar o XML.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct TissReturnArgs {
    /// O arquivo XML recebido da operadora.
    pub file: PathBuf,
    /// Registro ANS da operadora que enviou o arquivo.
    #[arg(long)]
    pub ans: String,
    /// O lote recusado, quando o arquivo recusa um lote no recebimento (ele não diz qual).
    #[arg(long)]
    pub lote: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum TissOperatorCommand {
    /// Cadastra ou altera uma operadora e sua tabela de preços (substitui a anterior).
    Set(TissOperatorArgs),
    /// Lista as operadoras cadastradas.
    List,
}

#[derive(Debug, Args)]
pub struct TissOperatorArgs {
    /// Registro ANS da operadora (6 dígitos).
    #[arg(long)]
    pub ans: String,
    /// Nome da operadora.
    #[arg(long)]
    pub name: String,
    /// Código da clínica na operadora (codigoPrestadorNaOperadora).
    #[arg(long)]
    pub provider_code: String,
    /// CNES da clínica (7 dígitos; 9999999 se não tiver).
    #[arg(long)]
    pub cnes: String,
    /// Bytes do hash que esta operadora usa: utf8 (padrão) ou latin1.
    #[arg(long, default_value = "utf8")]
    pub hash: String,
    /// Código TUSS faturado numa consulta.
    #[arg(long, default_value = "10101012")]
    pub consultation_code: String,
    /// Preço contratado: CÓDIGO=VALOR=DESCRIÇÃO (ex.: 10101012=150,00=Consulta em consultório);
    /// tabela 22 salvo se o código vier como TABELA:CÓDIGO. Repita para cada item.
    #[arg(long = "price")]
    pub prices: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TissLoteArgs {
    #[command(flatten)]
    pub period: TissPeriodArgs,
    /// Onde gravar o XML do lote.
    #[arg(long)]
    pub out: PathBuf,
    /// Só uma prévia: sem numerar nem marcar os atendimentos como faturados.
    #[arg(long)]
    pub preview: bool,
}

#[derive(Debug, Args)]
pub struct TissHashArgs {
    /// O arquivo XML da mensagem TISS.
    pub file: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeySourceArg {
    Auto,
    Keychain,
    Passphrase,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Nome da clínica.
    #[arg(long, default_value = "Clínica AtendeBem")]
    pub clinic_name: String,
    /// Fuso horário da clínica (IANA).
    #[arg(long, default_value = "America/Sao_Paulo")]
    pub time_zone: String,
    /// Onde guardar a chave: chaveiro do sistema ou senha (Argon2id).
    #[arg(long, value_enum, default_value = "auto")]
    pub key_source: KeySourceArg,
}

#[derive(Debug, Subcommand)]
pub enum PatientCommand {
    /// Cadastra um paciente e imprime-o em JSON.
    Add(PatientAddArgs),
    /// Busca por nome (sem acentos), CPF ou CNS.
    Search(PatientSearchArgs),
    /// Mostra o cadastro de um paciente.
    Show { id: String },
}

#[derive(Debug, Args)]
pub struct PatientAddArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub cpf: Option<String>,
    /// Data de nascimento (AAAA-MM-DD ou DD/MM/AAAA).
    #[arg(long)]
    pub birth: Option<String>,
    #[arg(long)]
    pub cns: Option<String>,
    /// Nome social.
    #[arg(long)]
    pub social_name: Option<String>,
    /// Sexo: female, male, intersex, unknown.
    #[arg(long, default_value = "unknown")]
    pub sex: String,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub mother_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct PatientSearchArgs {
    pub query: String,
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
}

#[derive(Debug, Subcommand)]
pub enum ProfessionalCommand {
    /// Cadastra um profissional (e o seu usuário) com horário padrão seg–sex 08:00–18:00.
    Add(ProfessionalAddArgs),
    /// Lista os profissionais.
    List,
}

#[derive(Debug, Args)]
pub struct ProfessionalAddArgs {
    #[arg(long)]
    pub name: String,
    /// Registro no conselho, ex.: "CRM/SP 123456".
    #[arg(long)]
    pub council: String,
    /// Código CBO (6 dígitos), ex.: 225125.
    #[arg(long)]
    pub cbo: String,
    #[arg(long = "specialty")]
    pub specialties: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Cria um usuário local (ADMIN, STAFF, VIEWER; profissionais: 'professional add').
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
    },
    /// Lista os usuários locais.
    List,
}

#[derive(Debug, Subcommand)]
pub enum AgendaCommand {
    /// Agenda um atendimento.
    Book(BookArgs),
    /// Lista os atendimentos de um dia.
    List(AgendaListArgs),
    /// Muda o estado de um atendimento (confirmed, checked_in, in_progress, done, no_show, cancelled).
    Status(StatusArgs),
    /// Conflitos (sobreposições) a resolver.
    Conflicts(AgendaListArgs),
}

#[derive(Debug, Args)]
pub struct BookArgs {
    #[arg(long)]
    pub professional: String,
    #[arg(long)]
    pub patient: String,
    /// Início em RFC 3339, ex.: 2026-12-01T09:00:00-03:00.
    #[arg(long)]
    pub start: String,
    #[arg(long)]
    pub minutes: i64,
    /// first_visit, follow_up, exam, procedure, teleconsultation.
    #[arg(long, default_value = "follow_up")]
    pub kind: String,
    #[arg(long)]
    pub room: Option<String>,
}

#[derive(Debug, Args)]
pub struct AgendaListArgs {
    /// Dia (AAAA-MM-DD ou DD/MM/AAAA).
    #[arg(long)]
    pub day: String,
    #[arg(long)]
    pub professional: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long)]
    pub appointment: String,
    #[arg(long)]
    pub status: String,
}

#[derive(Debug, Subcommand)]
pub enum NoteCommand {
    /// Escreve um registro clínico (evolução, por padrão) como rascunho.
    Add(NoteAddArgs),
    /// Assina (trava) um rascunho.
    Sign {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        entry: String,
    },
    /// Corrige um registro assinado: nova versão com justificativa.
    Amend {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        entry: String,
        #[arg(long)]
        text: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Args)]
pub struct NoteAddArgs {
    #[arg(long)]
    pub patient: String,
    #[arg(long)]
    pub text: String,
    /// anamnesis, physical_exam, evolution, diagnosis, prescription, certificate, exam_request, ...
    #[arg(long, default_value = "evolution")]
    pub kind: String,
    /// CID-10 (pode repetir).
    #[arg(long = "cid10")]
    pub cid10: Vec<String>,
    /// Assina logo após escrever.
    #[arg(long)]
    pub sign: bool,
}

#[derive(Debug, Args)]
pub struct ChartArgs {
    #[arg(long)]
    pub patient: String,
    /// Filtra por tipo de registro.
    #[arg(long)]
    pub kind: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub patient: String,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Número de pacientes.
    #[arg(long, default_value_t = 200)]
    pub patients: u32,
    /// Semente (mesma semente, mesma clínica).
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Meses de agenda (o ano em torno de hoje).
    #[arg(long, default_value_t = 12)]
    pub months: u32,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Arquivo de saída.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Arquivo de backup.
    #[arg(long)]
    pub from: PathBuf,
    #[arg(long, value_enum, default_value = "auto")]
    pub key_source: KeySourceArg,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Endereço do servidor, ex.: http://127.0.0.1:8080 (obrigatório no primeiro login).
    #[arg(long)]
    pub server: Option<String>,
    /// Clínica (identificador curto), ex.: clinica-demo (obrigatório no primeiro login).
    #[arg(long)]
    pub tenant: Option<String>,
    #[arg(long)]
    pub email: String,
    /// Lê a senha da primeira linha da entrada padrão; a segunda linha, se houver, é a nova
    /// senha exigida no primeiro acesso.
    #[arg(long)]
    pub password_stdin: bool,
    /// Onde guardar a chave de uma réplica nova.
    #[arg(long, value_enum, default_value = "auto")]
    pub key_source: KeySourceArg,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Uma rodada e termina (padrão).
    #[arg(long, conflicts_with = "watch")]
    pub once: bool,
    /// Fica conectado e sincronizando (recebe na hora o que os outros computadores enviam)
    /// até ser interrompido (Ctrl+C).
    #[arg(long)]
    pub watch: bool,
    /// Com --watch: termina depois de tantos segundos (para testes e scripts).
    #[arg(long, requires = "watch")]
    pub for_seconds: Option<u64>,
}

#[derive(Debug, Args)]
pub struct QuarantineArgs {
    /// Antes de listar, guarda na quarentena o trabalho do usuário atual que não chegou ao
    /// servidor (ex.: computador desautorizado).
    #[arg(long)]
    pub export_unsent: bool,
}

#[derive(Debug, Args)]
pub struct SwitchUserArgs {
    #[arg(long)]
    pub email: String,
    /// Lê a senha da entrada padrão.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// As cabeças (hashes) de cada documento da réplica, em JSON.
    Heads,
    /// Cadastra pacientes um a um, imprimindo o id de cada um após o commit (teste de SIGKILL).
    WriteLoop {
        #[arg(long, default_value_t = 1000)]
        count: u32,
    },
    /// Enche um dia da agenda até N agendamentos de 15 minutos entre os profissionais da clínica,
    /// a partir das 08:00 (figuras de desempenho da agenda).
    BusyDay {
        /// Dia (dd/mm/aaaa ou AAAA-MM-DD).
        #[arg(long)]
        day: String,
        #[arg(long, default_value_t = 200)]
        appointments: u32,
    },
}

//! Documents built to overload the server or to multiply credential guesses are refused before
//! anything runs. One walk over every operation, following fragments, measures all the limits
//! need: aliases, repeated fields, credential mutations and the size of every argument. A
//! document parsed and measured once is kept, by its text, for the next request that sends it,
//! with the outcome of its validation for the operations and variables it was sent with.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use lru::LruCache;

use async_graphql::extensions::{ExtensionContext, NextParseQuery, NextValidation};
use async_graphql::parser::types::Selection;
use async_graphql::parser::types::{ExecutableDocument, OperationType, SelectionSet};
use async_graphql::{Request, ServerError, ServerResult, ValidationResult, Value as ConstValue, Variables};
use async_graphql_value::Value as Literal;

use crate::domain::validate::limits;
use crate::error::AppError;
use crate::graphql::server_error;

/// Mutations that check a secret: one per request, so aliases cannot multiply guesses.
const CREDENTIAL_FIELDS: [&str; 6] =
    ["login", "signUp", "refreshSession", "acceptInvitation", "changePassword", "createApiToken"];

/// How often one response key may repeat in a selection set.
const MAX_REPEATS: usize = 3;

/// How deep the walk follows fields and fragments (documents deeper than the depth limit are
/// refused anyway; this bounds the walk, fragment cycles included).
const MAX_WALK_DEPTH: usize = 32;

/// How deep an introspection selection (`__schema`, `__type`) may go: the standard query of
/// GraphiQL, graphql-js, graphql-core and codegen nests its type references about fifteen
/// levels deep; a circular one goes deeper.
const INTROSPECTION_DEPTH: usize = 16;

/// How many selections the walk visits at most: fragments spread many times over can make a
/// short document expand enormously.
const MAX_WALKED: usize = 50_000;

/// Shared by the operations of one HTTP request, so that a batch runs one credential check too.
#[derive(Clone, Default)]
pub struct CredentialBudget(Arc<AtomicUsize>);

/// Refuses, before anything runs: fields nested deeper than `max_depth` (introspection, up to
/// `INTROSPECTION_DEPTH`), more aliases than `max_aliases`, a field repeated more than
/// `MAX_REPEATS` times in one selection (alias overloading and field duplication), more than one
/// credential check (`CREDENTIAL_FIELDS`) in a request or batch (aliases and fragments
/// included), a subscription of more than one field, any string over `limits::ANY_STRING` characters or list over
/// `limits::LIST_ARGUMENT` items in the variables or the document, and documents that expand
/// beyond what the walk visits.
#[derive(Clone)]
pub struct DocumentLimits {
    pub max_depth: usize,
    pub max_aliases: usize,
    /// The most a document may cost (`QUERY_TOO_COMPLEX` beyond, with its cost).
    pub max_complexity: usize,
    /// Documents parsed before, shared by every request of the schema.
    pub parsed: Arc<ParsedDocuments>,
}

impl DocumentLimits {
    /// The limits of one request.
    pub(super) fn for_request(&self) -> DocumentCheck {
        DocumentCheck { limits: self.clone(), operation: Mutex::default(), kept: Mutex::default() }
    }
}

/// One request's limits, with what its validation may be found under.
pub(super) struct DocumentCheck {
    limits: DocumentLimits,
    /// The operation the request names.
    operation: Mutex<Option<String>>,
    /// The request's document as kept, and its variables as JSON.
    kept: Mutex<Option<(Arc<Parsed>, String)>>,
}

/// Documents parsed and measured before, by their text, least recently used first out: clients
/// send the same few documents again and again (persisted queries name them by hash), and
/// parsing one costs more than copying it. Bounded in number and in text kept; a longer document
/// is parsed each time.
pub struct ParsedDocuments {
    kept: Mutex<Kept>,
}

struct Kept {
    documents: LruCache<String, Arc<Parsed>>,
    /// The length of the texts kept, in bytes.
    text: usize,
}

/// A document as parsed, with its shape, and the outcome of its validation by operation and
/// variables: the same document, operation and variables validate the same (their cost
/// included, which counts items asked for in variables).
struct Parsed {
    document: ExecutableDocument,
    shape: Shape,
    validated: Mutex<LruCache<(Option<String>, String), ValidationResult>>,
}

impl Parsed {
    /// Validations kept per document.
    const VALIDATIONS: usize = 16;
    /// The longest variables (as JSON) a validation is kept for, in bytes.
    const LONGEST_VARIABLES: usize = 1024;

    fn new(document: ExecutableDocument, shape: Shape) -> Self {
        let validations = NonZeroUsize::new(Self::VALIDATIONS).expect("a positive bound");
        Self { document, shape, validated: Mutex::new(LruCache::new(validations)) }
    }
}

impl ParsedDocuments {
    /// Documents kept at most.
    const DOCUMENTS: usize = 512;
    /// Text kept at most, in bytes (their syntax trees take some ten times that).
    const TEXT: usize = 256 * 1024;
    /// The longest document kept, in bytes.
    const LONGEST: usize = 8 * 1024;

    pub fn new() -> Self {
        let documents = LruCache::new(NonZeroUsize::new(Self::DOCUMENTS).expect("a positive bound"));
        Self { kept: Mutex::new(Kept { documents, text: 0 }) }
    }

    fn get(&self, query: &str) -> Option<Arc<Parsed>> {
        self.kept.lock().expect("parsed documents lock").documents.get(query).cloned()
    }

    /// Keeps a document, unless it is too long; answers it as kept.
    fn keep(&self, query: &str, parsed: Parsed) -> Option<Arc<Parsed>> {
        if query.len() > Self::LONGEST {
            return None;
        }
        let parsed = Arc::new(parsed);
        let mut kept = self.kept.lock().expect("parsed documents lock");
        if let Some((dropped, _)) = kept.documents.push(query.to_owned(), parsed.clone()) {
            kept.text -= dropped.len();
        }
        kept.text += query.len();
        while kept.text > Self::TEXT {
            let Some((dropped, _)) = kept.documents.pop_lru() else { break };
            kept.text -= dropped.len();
        }
        Some(parsed)
    }
}

impl Default for ParsedDocuments {
    fn default() -> Self {
        Self::new()
    }
}

impl DocumentCheck {
    /// Notes the operation the request names (its validation is kept under it).
    pub(super) fn prepare(&self, request: &Request) {
        (*self.operation.lock().expect("operation lock")).clone_from(&request.operation_name);
    }

    /// Parses the document (or copies it, kept from an earlier request) and measures it.
    pub(super) async fn parse(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // Sizes first, of the variables and of the document as written (nothing copied).
        for (name, value) in variables.iter() {
            check_size(name.as_str(), value).map_err(server_error)?;
        }
        let documents = &self.limits.parsed;
        let (document, shape, kept) = match documents.get(query) {
            Some(parsed) => (parsed.document.clone(), parsed.shape, Some(parsed)),
            None => {
                let document = next.run(ctx, query, variables).await?;
                check_written_sizes(&document).map_err(server_error)?;
                let shape = Shape::of(&document);
                let kept = documents.keep(query, Parsed::new(document.clone(), shape));
                (document, shape, kept)
            }
        };
        let variables = kept.is_some().then(|| serde_json::to_string(variables).ok()).flatten();
        if let (Some(parsed), Some(variables)) = (kept, variables)
            && variables.len() <= Parsed::LONGEST_VARIABLES
        {
            *self.kept.lock().expect("kept lock") = Some((parsed, variables));
        }
        let refuse = |error: AppError| Err(server_error(error));
        if shape.walked > MAX_WALKED {
            return refuse(AppError::bad_input("the document expands too far (fragments spread too often)"));
        }
        let limits = &self.limits;
        if shape.deepest > limits.max_depth {
            return refuse(AppError::QueryTooDeep { cost: shape.deepest, limit: limits.max_depth });
        }
        let introspection_limit = limits.max_depth.max(INTROSPECTION_DEPTH);
        if shape.deepest_introspection > introspection_limit {
            return refuse(AppError::QueryTooDeep { cost: shape.deepest_introspection, limit: introspection_limit });
        }
        if shape.aliases > limits.max_aliases {
            return refuse(AppError::bad_input(format!("a request may use at most {} aliases", limits.max_aliases)));
        }
        if shape.most_repeats > MAX_REPEATS {
            return refuse(AppError::bad_input("the same field is repeated too often in one selection"));
        }
        if shape.subscription_fields > 1 {
            return refuse(AppError::bad_input("a subscription selects exactly one field"));
        }
        // The operations of one batched HTTP request (or one WebSocket operation) share a budget.
        let earlier = match ctx.data_opt::<CredentialBudget>() {
            Some(budget) if shape.credential_checks > 0 => {
                budget.0.fetch_add(shape.credential_checks, Ordering::SeqCst)
            }
            _ => 0,
        };
        if earlier + shape.credential_checks > 1 {
            return refuse(AppError::bad_input(format!(
                "a request may run only one of {}",
                CREDENTIAL_FIELDS.join(", ")
            )));
        }
        Ok(document)
    }

    /// Validates the document (or finds its validation, kept). The engine measures every
    /// document's cost while validating it; the limit is ours, so that the answer can say what
    /// it cost.
    pub(super) async fn validate(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let kept = self.kept.lock().expect("kept lock").take();
        let operation = self.operation.lock().expect("operation lock").take();
        let earlier = kept.as_ref().and_then(|(parsed, variables)| {
            let mut validated = parsed.validated.lock().expect("validations lock");
            validated.get(&(operation.clone(), variables.clone())).copied()
        });
        let validated = match earlier {
            Some(validated) => validated,
            None => {
                let validated = next.run(ctx).await?;
                if let Some((parsed, variables)) = kept {
                    parsed.validated.lock().expect("validations lock").put((operation, variables), validated);
                }
                validated
            }
        };
        let limit = self.limits.max_complexity;
        if validated.complexity > limit {
            let refused = AppError::QueryTooComplex { cost: validated.complexity, limit };
            return Err(vec![server_error(refused)]);
        }
        Ok(validated)
    }
}

/// What the limits need to know of a document, as it runs (fragments expanded).
#[derive(Default, Clone, Copy)]
struct Shape {
    aliases: usize,
    most_repeats: usize,
    /// Credential checks of the mutation operation that runs most of them.
    credential_checks: usize,
    /// Root fields of the subscription operation that selects most.
    subscription_fields: usize,
    /// The most nested field, outside introspection and inside it.
    deepest: usize,
    deepest_introspection: usize,
    /// Selections visited.
    walked: usize,
}

/// Where the walk is: how many selection sets deep (fragments included), how many fields deep,
/// and whether inside an introspection field.
#[derive(Clone, Copy, Default)]
struct Level {
    sets: usize,
    fields: usize,
    introspection: bool,
}

impl Shape {
    fn of(document: &ExecutableDocument) -> Self {
        let mut shape = Shape::default();
        for (_, operation) in document.operations.iter() {
            let mut roots = Vec::new();
            shape.walk(document, &operation.node.selection_set.node, Level::default(), Some(&mut roots));
            match operation.node.ty {
                OperationType::Mutation => {
                    let checks = roots.iter().filter(|name| CREDENTIAL_FIELDS.contains(name)).count();
                    shape.credential_checks = shape.credential_checks.max(checks);
                }
                OperationType::Subscription => shape.subscription_fields = shape.subscription_fields.max(roots.len()),
                OperationType::Query => {}
            }
        }
        shape
    }

    /// Walks one selection set; `roots` collects the names of the operation's root fields
    /// (through fragments, not into fields).
    fn walk<'a>(
        &mut self,
        document: &'a ExecutableDocument,
        selection: &'a SelectionSet,
        level: Level,
        mut roots: Option<&mut Vec<&'a str>>,
    ) {
        if level.sets > MAX_WALK_DEPTH || self.walked > MAX_WALKED {
            return;
        }
        let inner = Level { sets: level.sets + 1, ..level };
        let mut keys: HashMap<&str, usize> = HashMap::new();
        for item in &selection.items {
            self.walked += 1;
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if field.alias.is_some() {
                        self.aliases += 1;
                    }
                    let seen = keys.entry(field.response_key().node.as_str()).or_default();
                    *seen += 1;
                    self.most_repeats = self.most_repeats.max(*seen);
                    if let Some(roots) = roots.as_deref_mut() {
                        roots.push(field.name.node.as_str());
                    }
                    let name = field.name.node.as_str();
                    let below = Level {
                        sets: level.sets + 1,
                        fields: level.fields + 1,
                        introspection: level.introspection || name == "__schema" || name == "__type",
                    };
                    let deepest = if below.introspection { &mut self.deepest_introspection } else { &mut self.deepest };
                    *deepest = (*deepest).max(below.fields);
                    self.walk(document, &field.selection_set.node, below, None);
                }
                Selection::InlineFragment(inline) => {
                    self.walk(document, &inline.node.selection_set.node, inner, roots.as_deref_mut());
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                        self.walk(document, &fragment.node.selection_set.node, inner, roots.as_deref_mut());
                    }
                }
            }
        }
    }
}

/// Every value written in the document, once each (fragments as written, not expanded):
/// field and directive arguments and the defaults of variables.
fn check_written_sizes(document: &ExecutableDocument) -> Result<(), AppError> {
    for (_, operation) in document.operations.iter() {
        for variable in &operation.node.variable_definitions {
            if let Some(default) = &variable.node.default_value {
                check_size(variable.node.name.node.as_str(), &default.node)?;
            }
        }
        check_selection_sizes(&operation.node.selection_set.node)?;
    }
    document.fragments.values().try_for_each(|fragment| check_selection_sizes(&fragment.node.selection_set.node))
}

fn check_selection_sizes(selection: &SelectionSet) -> Result<(), AppError> {
    for item in &selection.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                let directives = field.directives.iter().flat_map(|d| d.node.arguments.iter());
                for (name, value) in field.arguments.iter().chain(directives) {
                    check_literal(name.node.as_str(), &value.node)?;
                }
                check_selection_sizes(&field.selection_set.node)?;
            }
            Selection::InlineFragment(inline) => check_selection_sizes(&inline.node.selection_set.node)?,
            Selection::FragmentSpread(_) => {}
        }
    }
    Ok(())
}

fn too_large(path: &str) -> AppError {
    AppError::invalid(
        path,
        format!(
            "{path} is too large: text may hold at most {} characters and a list at most {} items",
            limits::ANY_STRING,
            limits::LIST_ARGUMENT
        ),
    )
}

fn too_long(text: &str) -> bool {
    text.len() > limits::ANY_STRING && text.chars().count() > limits::ANY_STRING
}

/// No string over `limits::ANY_STRING` characters and no list over `limits::LIST_ARGUMENT`
/// items, anywhere in a value; the field is the path to it.
fn check_size(path: &str, value: &ConstValue) -> Result<(), AppError> {
    match value {
        ConstValue::String(text) if too_long(text) => Err(too_large(path)),
        ConstValue::List(items) if items.len() > limits::LIST_ARGUMENT => Err(too_large(path)),
        ConstValue::List(items) => items.iter().try_for_each(|item| check_size(path, item)),
        ConstValue::Object(fields) => {
            fields.iter().try_for_each(|(name, field)| check_size(&format!("{path}.{name}"), field))
        }
        _ => Ok(()),
    }
}

/// [`check_size`] for a value written in a document, which may name variables.
fn check_literal(path: &str, value: &Literal) -> Result<(), AppError> {
    match value {
        Literal::String(text) if too_long(text) => Err(too_large(path)),
        Literal::List(items) if items.len() > limits::LIST_ARGUMENT => Err(too_large(path)),
        Literal::List(items) => items.iter().try_for_each(|item| check_literal(path, item)),
        Literal::Object(fields) => {
            fields.iter().try_for_each(|(name, field)| check_literal(&format!("{path}.{name}"), field))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(query: &str) -> Parsed {
        let document = async_graphql::parser::parse_query(query).expect("a valid document");
        let shape = Shape::of(&document);
        Parsed::new(document, shape)
    }

    #[test]
    fn a_document_is_found_by_its_exact_text_only() {
        let documents = ParsedDocuments::new();
        documents.keep("{ me { id } }", parsed("{ me { id } }"));
        assert!(documents.get("{ me { id } }").is_some());
        assert!(documents.get("{ me { id }}").is_none(), "another text, even of the same meaning");
        assert!(documents.get("{ me { name } }").is_none());
    }

    #[test]
    fn the_documents_kept_stay_within_their_bounds() {
        let documents = ParsedDocuments::new();
        let long = format!("{{ me {{ id }} }}{}", " ".repeat(ParsedDocuments::LONGEST));
        documents.keep(&long, parsed(&long));
        assert!(documents.get(&long).is_none(), "longer than kept");

        // Many distinct documents of about 4 KiB: no more text than the bound stays.
        let padded = |n: usize| format!("{{ me {{ id }} }} #{n}{}", " ".repeat(4000));
        for n in 0..200 {
            documents.keep(&padded(n), parsed(&padded(n)));
        }
        let kept = documents.kept.lock().unwrap();
        assert!(kept.text <= ParsedDocuments::TEXT, "{} bytes kept", kept.text);
        assert_eq!(kept.text, kept.documents.iter().map(|(text, _)| text.len()).sum::<usize>());
        assert!(kept.documents.len() >= ParsedDocuments::TEXT / 4100 - 1);
        drop(kept);
        assert!(documents.get(&padded(199)).is_some(), "the newest stays");
        assert!(documents.get(&padded(0)).is_none(), "the oldest went first");
    }
}

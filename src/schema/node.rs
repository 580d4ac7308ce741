//! A compiled schema: the arena of nodes `compile` builds and `validate`
//! walks, with the keywords each node carries.

/// A schema node's index in its arena.
pub type Sid = u32;

/// `type` bits. `NUM` is any number (an integer is one too).
pub mod types {
    pub const NULL: u8 = 1;
    pub const BOOL: u8 = 2;
    pub const INT: u8 = 4;
    pub const NUM: u8 = 8;
    pub const STR: u8 = 16;
    pub const ARR: u8 = 32;
    pub const OBJ: u8 = 64;
}

/// The most nodes one compiled schema may have.
pub const MAX_NODES: usize = 200_000;

/// What an object allows beyond its `properties`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    Allow,
    /// Closed in strict mode (`additionalProperties: false`, or a structural
    /// schema's object with properties and nothing else said).
    Closed,
    Schema(Sid),
}

/// A literal of `enum` or `const`.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Null,
    Bool(bool),
    Num(f64),
    Str(Box<str>),
    /// A list or mapping: never equal to anything the validator checks.
    Other,
}

/// `dependencies`: other keys a key needs, or a schema the object must meet when it is present.
#[derive(Debug, Clone)]
pub enum Dep {
    Keys(Vec<Box<str>>),
    Schema(Sid),
}

/// Bounds on numbers, lengths and counts.
#[derive(Debug, Clone, Default)]
pub struct Bounds {
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<f64>,
    pub exclusive_maximum: Option<f64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub unique_items: bool,
}

/// One compiled schema node: what most nodes use inline, the rest boxed
/// (a node is ~100 bytes instead of ~360; a CRD compiles to tens of
/// thousands of them).
#[derive(Debug, Clone)]
pub struct Schema {
    /// `types::*` bits allowed; 0 allows every type.
    pub types: u8,
    pub int_or_string: bool,
    pub embedded: bool,
    /// Property names match without regard to ASCII case
    /// (`x-ignore-case-keys`: Azure Pipelines task inputs).
    pub fold_keys: bool,
    /// `enum` strings match without regard to ASCII case (`x-ignore-case-values`).
    pub fold_values: bool,
    /// Sorted by name.
    pub props: Vec<(Box<str>, Sid)>,
    pub extra: Extra,
    pub required: Vec<Box<str>>,
    pub items: Option<Sid>,
    pub all_of: Vec<Sid>,
    pub rare: Option<Box<Rare>>,
}

/// The keywords few nodes carry.
#[derive(Debug, Clone, Default)]
pub struct Rare {
    pub pattern_props: Vec<(regex_lite::Regex, Sid)>,
    /// `items` as a list (draft-07 tuples).
    pub tuple: Vec<Sid>,
    pub enumeration: Option<Vec<Lit>>,
    pub one_of: Vec<Sid>,
    pub any_of: Vec<Sid>,
    pub not: Option<Sid>,
    /// `if`, `then`, `else`.
    pub cond: Option<(Sid, Option<Sid>, Option<Sid>)>,
    pub deps: Vec<(Box<str>, Dep)>,
    pub pattern: Option<(regex_lite::Regex, Box<str>)>,
    pub format: Option<Box<str>>,
    pub bounds: Option<Bounds>,
    /// `x-dispatch`: the schema of the case the value of one property
    /// names, matched in any case (Azure Pipelines: a task step's inputs by
    /// its `task:`). A value no case names is not checked further.
    pub dispatch: Option<Box<Dispatch>>,
}

/// `x-dispatch`: a property, and a schema per (lowercase) value of it.
#[derive(Debug, Clone, Default)]
pub struct Dispatch {
    pub property: Box<str>,
    pub cases: std::collections::HashMap<Box<str>, Sid>,
}

impl Rare {
    pub(super) fn is_empty(&self) -> bool {
        self.pattern_props.is_empty()
            && self.tuple.is_empty()
            && self.enumeration.is_none()
            && self.one_of.is_empty()
            && self.any_of.is_empty()
            && self.not.is_none()
            && self.cond.is_none()
            && self.deps.is_empty()
            && self.pattern.is_none()
            && self.format.is_none()
            && self.bounds.is_none()
            && self.dispatch.is_none()
    }
}

impl Schema {
    /// The schema every value meets.
    pub fn any() -> Schema {
        Schema {
            types: 0,
            int_or_string: false,
            embedded: false,
            fold_keys: false,
            fold_values: false,
            props: Vec::new(),
            extra: Extra::Allow,
            required: Vec::new(),
            items: None,
            all_of: Vec::new(),
            rare: None,
        }
    }

    pub fn prop(&self, name: &str) -> Option<Sid> {
        if self.fold_keys {
            return self
                .props
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, id)| *id);
        }
        self.props
            .binary_search_by(|(k, _)| (**k).cmp(name))
            .ok()
            .map(|i| self.props[i].1)
    }

    pub fn pattern_props(&self) -> &[(regex_lite::Regex, Sid)] {
        self.rare.as_deref().map_or(&[], |r| &r.pattern_props)
    }
    pub fn tuple(&self) -> &[Sid] {
        self.rare.as_deref().map_or(&[], |r| &r.tuple)
    }
    pub fn enumeration(&self) -> Option<&Vec<Lit>> {
        self.rare.as_deref().and_then(|r| r.enumeration.as_ref())
    }
    pub fn one_of(&self) -> &[Sid] {
        self.rare.as_deref().map_or(&[], |r| &r.one_of)
    }
    pub fn any_of(&self) -> &[Sid] {
        self.rare.as_deref().map_or(&[], |r| &r.any_of)
    }
    pub fn not(&self) -> Option<Sid> {
        self.rare.as_deref().and_then(|r| r.not)
    }
    pub fn cond(&self) -> Option<(Sid, Option<Sid>, Option<Sid>)> {
        self.rare.as_deref().and_then(|r| r.cond)
    }
    pub fn deps(&self) -> &[(Box<str>, Dep)] {
        self.rare.as_deref().map_or(&[], |r| &r.deps)
    }
    pub fn pattern(&self) -> Option<&(regex_lite::Regex, Box<str>)> {
        self.rare.as_deref().and_then(|r| r.pattern.as_ref())
    }
    pub fn format(&self) -> Option<&str> {
        self.rare.as_deref().and_then(|r| r.format.as_deref())
    }
    pub fn bounds(&self) -> Option<&Bounds> {
        self.rare.as_deref().and_then(|r| r.bounds.as_ref())
    }
    pub fn dispatch(&self) -> Option<&Dispatch> {
        self.rare.as_deref().and_then(|r| r.dispatch.as_deref())
    }
}

/// A compiled schema and everything it references.
#[derive(Debug)]
pub struct Compiled {
    pub nodes: Vec<Schema>,
    pub root: Sid,
    /// Patterns that are not valid here (ECMA-262 features `regex-lite`
    /// lacks): not checked, counted.
    pub skipped_patterns: usize,
}

impl Compiled {
    pub fn node(&self, id: Sid) -> &Schema {
        &self.nodes[id as usize]
    }
}

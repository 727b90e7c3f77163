//! The layout of the compiled schema blob, shared by the writer
//! (`compile.rs`, run by `build.rs` at build time) and the reader
//! (`mod.rs`, at run time, in place: nothing is decoded at start-up).
//!
//! Every number is a little-endian `u32`; every table starts at a multiple of
//! 4 bytes. The header is [`HEADER_WORDS`] words, indexed by the `H_*`
//! constants. Tables:
//! - strings: UTF-8 bytes, and `n_strs + 1` start offsets (string `i` is
//!   `starts[i]..starts[i + 1]`); strings are deduplicated.
//! - nodes: [`NODE_WORDS`] words each, indexed by the `N_*` constants; equal
//!   nodes are stored once, across all versions.
//! - props: `(name string, schema ref)` pairs, sorted by name within a node.
//! - ids: lists of string ids (`required`), schema refs (`oneOf`) and enum
//!   values (`(tag, string)` pairs: [`ENUM_STRING`] holds the string itself,
//!   [`ENUM_JSON`] the JSON text of a non-string value).
//! - versions: [`VERSION_WORDS`] words each: name, the offset of its def
//!   table (`n_defs` words: global def id -> root node, or [`NONE`]), the
//!   offset and count of its kinds (`(apiVersion, kind, root node)` triples
//!   sorted by apiVersion, then kind).
//!
//! A schema ref is a node index, or [`DEF_FLAG`] | a global def id, resolved
//! through the version's def table (so that a definition that did not change
//! between versions is stored once).

pub(crate) const MAGIC: u32 = u32::from_le_bytes(*b"DHS1");
pub(crate) const NONE: u32 = u32::MAX;
/// `additionalProperties: false`.
pub(crate) const FORBIDDEN: u32 = u32::MAX - 1;
pub(crate) const DEF_FLAG: u32 = 1 << 31;
pub(crate) const ENUM_STRING: u32 = 0;
pub(crate) const ENUM_JSON: u32 = 1;

pub(crate) const H_MAGIC: usize = 0;
pub(crate) const H_VERSIONS: usize = 1;
pub(crate) const H_N_VERSIONS: usize = 2;
pub(crate) const H_STRINGS: usize = 3;
pub(crate) const H_STRINGS_LEN: usize = 4;
pub(crate) const H_STR_STARTS: usize = 5;
pub(crate) const H_N_STRS: usize = 6;
pub(crate) const H_NODES: usize = 7;
pub(crate) const H_N_NODES: usize = 8;
pub(crate) const H_PROPS: usize = 9;
pub(crate) const H_IDS: usize = 10;
pub(crate) const H_N_DEFS: usize = 11;
pub(crate) const HEADER_WORDS: usize = 12;

/// Allowed JSON types (a bit set); every type when the schema has no `type`.
pub(crate) const N_TYPES: usize = 0;
/// A `$ref` beside other keywords (schema ref or [`NONE`]).
pub(crate) const N_REF: usize = 1;
/// `additionalProperties`: [`NONE`] (anything), [`FORBIDDEN`], or a schema ref.
pub(crate) const N_ADDITIONAL: usize = 2;
pub(crate) const N_ITEMS: usize = 3;
/// First property (a pair index into the props table), and the count.
pub(crate) const N_PROPS: usize = 4;
pub(crate) const N_PROPS_LEN: usize = 5;
/// First word in the ids table, and the count (also for `oneOf`).
pub(crate) const N_REQUIRED: usize = 6;
pub(crate) const N_REQUIRED_LEN: usize = 7;
/// First word of the enum's `(tag, string)` pairs in the ids table, or
/// [`NONE`] without `enum`; the count is of pairs.
pub(crate) const N_ENUM: usize = 8;
pub(crate) const N_ENUM_LEN: usize = 9;
pub(crate) const N_ONE_OF: usize = 10;
pub(crate) const N_ONE_OF_LEN: usize = 11;
/// For a definition's root: its name (string id), else [`NONE`].
pub(crate) const N_NAME: usize = 12;
pub(crate) const NODE_WORDS: usize = 13;

pub(crate) const V_NAME: usize = 0;
pub(crate) const V_DEFS: usize = 1;
pub(crate) const V_KINDS: usize = 2;
pub(crate) const V_N_KINDS: usize = 3;
pub(crate) const VERSION_WORDS: usize = 4;

// JSON types, as a bit set.
pub(crate) const T_NULL: u32 = 1;
pub(crate) const T_BOOLEAN: u32 = 2;
pub(crate) const T_INTEGER: u32 = 4;
pub(crate) const T_NUMBER: u32 = 8;
pub(crate) const T_STRING: u32 = 16;
pub(crate) const T_ARRAY: u32 = 32;
pub(crate) const T_OBJECT: u32 = 64;
pub(crate) const T_ANY: u32 = 127;

pub(crate) fn type_bit(name: &str) -> Option<u32> {
    Some(match name {
        "null" => T_NULL,
        "boolean" => T_BOOLEAN,
        "integer" => T_INTEGER,
        "number" => T_NUMBER,
        "string" => T_STRING,
        "array" => T_ARRAY,
        "object" => T_OBJECT,
        _ => return None,
    })
}

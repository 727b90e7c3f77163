//! The functions a helm template can call. Go's parser checks every name
//! when it parses a template, so a name helm does not define fails the whole
//! chart in helm; the built-in renderer reports it the same way.

use super::gotmpl;

/// Every function a helm template can call: Go's builtins, Sprig's (minus
/// `env` and `expandenv`, which helm removes) and helm's own. Checked
/// against helm 4.3.1: each of these parses, any other name fails with
/// `function "X" not defined`.
const HELM_FUNCTIONS: &[&str] = &[
    "abbrev",
    "abbrevboth",
    "add",
    "add1",
    "add1f",
    "addf",
    "adler32sum",
    "ago",
    "all",
    "and",
    "any",
    "append",
    "atoi",
    "b32dec",
    "b32enc",
    "b64dec",
    "b64enc",
    "base",
    "bcrypt",
    "biggest",
    "buildCustomCert",
    "call",
    "camelcase",
    "cat",
    "ceil",
    "chunk",
    "clean",
    "coalesce",
    "compact",
    "concat",
    "contains",
    "date",
    "dateInZone",
    "dateModify",
    "date_in_zone",
    "date_modify",
    "decryptAES",
    "deepCopy",
    "deepEqual",
    "default",
    "derivePassword",
    "dict",
    "dig",
    "dir",
    "div",
    "divf",
    "duration",
    "durationRound",
    "empty",
    "encryptAES",
    "eq",
    "ext",
    "fail",
    "first",
    "float64",
    "floor",
    "fromJson",
    "fromJsonArray",
    "fromToml",
    "fromYaml",
    "fromYamlArray",
    "ge",
    "genCA",
    "genCAWithKey",
    "genPrivateKey",
    "genSelfSignedCert",
    "genSelfSignedCertWithKey",
    "genSignedCert",
    "genSignedCertWithKey",
    "get",
    "getHostByName",
    "gt",
    "has",
    "hasKey",
    "hasPrefix",
    "hasSuffix",
    "hello",
    "html",
    "htmlDate",
    "htmlDateInZone",
    "htpasswd",
    "include",
    "indent",
    "index",
    "initial",
    "initials",
    "int",
    "int64",
    "isAbs",
    "join",
    "js",
    "kebabcase",
    "keys",
    "kindIs",
    "kindOf",
    "last",
    "le",
    "len",
    "list",
    "lookup",
    "lower",
    "lt",
    "max",
    "maxf",
    "merge",
    "mergeOverwrite",
    "min",
    "minf",
    "mod",
    "mul",
    "mulf",
    "mustAppend",
    "mustChunk",
    "mustCompact",
    "mustDateModify",
    "mustDeepCopy",
    "mustFirst",
    "mustFromJson",
    "mustHas",
    "mustInitial",
    "mustLast",
    "mustMerge",
    "mustMergeOverwrite",
    "mustPrepend",
    "mustPush",
    "mustRegexFind",
    "mustRegexFindAll",
    "mustRegexMatch",
    "mustRegexReplaceAll",
    "mustRegexReplaceAllLiteral",
    "mustRegexSplit",
    "mustRest",
    "mustReverse",
    "mustSlice",
    "mustToDate",
    "mustToJson",
    "mustToPrettyJson",
    "mustToRawJson",
    "mustToToml",
    "mustToYaml",
    "mustUniq",
    "mustWithout",
    "must_date_modify",
    "ne",
    "nindent",
    "nospace",
    "not",
    "now",
    "omit",
    "or",
    "osBase",
    "osClean",
    "osDir",
    "osExt",
    "osIsAbs",
    "pick",
    "pluck",
    "plural",
    "prepend",
    "print",
    "printf",
    "println",
    "push",
    "quote",
    "randAlpha",
    "randAlphaNum",
    "randAscii",
    "randBytes",
    "randInt",
    "randNumeric",
    "regexFind",
    "regexFindAll",
    "regexMatch",
    "regexQuoteMeta",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "regexSplit",
    "repeat",
    "replace",
    "required",
    "rest",
    "reverse",
    "round",
    "semver",
    "semverCompare",
    "seq",
    "set",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "shuffle",
    "slice",
    "snakecase",
    "sortAlpha",
    "split",
    "splitList",
    "splitn",
    "squote",
    "sub",
    "subf",
    "substr",
    "swapcase",
    "ternary",
    "title",
    "toDate",
    "toDecimal",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "toString",
    "toStrings",
    "toToml",
    "toYaml",
    "toYamlPretty",
    "tpl",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "trimall",
    "trunc",
    "tuple",
    "typeIs",
    "typeIsLike",
    "typeOf",
    "uniq",
    "unixEpoch",
    "unset",
    "until",
    "untilStep",
    "untitle",
    "upper",
    "urlJoin",
    "urlParse",
    "urlquery",
    "uuidv4",
    "values",
    "without",
    "wrap",
    "wrapWith",
];

/// Functions called in `tree` (anywhere, as Go's parser checks them) that
/// helm does not define: (name, offset).
pub(super) fn undefined_functions(tree: &gotmpl::Tree) -> Vec<(String, usize)> {
    use gotmpl::Item;
    fn items(list: &[Item], out: &mut Vec<(String, usize)>) {
        for item in list {
            match item {
                Item::Text(_) | Item::Control { .. } => {}
                Item::Action(p) => pipe(p, out),
                Item::If { branches, els } => {
                    for (c, b) in branches {
                        pipe(c, out);
                        items(b, out);
                    }
                    items(els, out);
                }
                Item::With {
                    pipe: p, body, els, ..
                }
                | Item::Range {
                    pipe: p, body, els, ..
                } => {
                    pipe(p, out);
                    items(body, out);
                    items(els, out);
                }
                Item::Template { arg, .. } => {
                    if let Some(p) = arg {
                        pipe(p, out);
                    }
                }
            }
        }
    }
    fn pipe(p: &gotmpl::Pipe, out: &mut Vec<(String, usize)>) {
        for cmd in &p.cmds {
            for arg in &cmd.args {
                match arg {
                    gotmpl::Arg::Func { name, at } if !HELM_FUNCTIONS.contains(&name.as_str()) => {
                        out.push((name.clone(), *at));
                    }
                    gotmpl::Arg::Sub { pipe: inner, .. } => pipe(inner, out),
                    _ => {}
                }
            }
        }
    }
    let mut out = Vec::new();
    items(&tree.items, &mut out);
    for d in &tree.defines {
        items(&d.body, &mut out);
    }
    out
}
